import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'

/**
 * Name of the file in the logs directory that records when AIRelays first applied log retention
 * there (`{"started_at": ISO time, "retention_days": n}`, mode 0600). Hour files that were already
 * older than the retention at that time are never deleted.
 */
export const RETENTION_MARKER = '.airelays-retention'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Options of {@link LogRetention}. */
export interface LogRetentionOptions {
  /** Directory of the hourly files; `null` disables retention. */
  dir: string | null
  /** Hour files older than this many days are deleted (see {@link RETENTION_MARKER}); 0 keeps everything. */
  retentionDays: number
  /** Wall clock in epoch milliseconds. */
  now: () => number
  /** Report a problem (rate-limited by the traffic log). */
  report: (message: string, error: unknown) => void
  /** The one-time notice for the user (scrubbed by the caller). */
  warn: (message: string) => void
  /** Write a `startup` record to the traffic log. */
  record: (phase: string, fields: Record<string, unknown>) => void
}

/** The traffic log's retention: an hourly sweep of the hour files older than the retention period. */
export class LogRetention {
  readonly #opts: LogRetentionOptions
  #timer: NodeJS.Timeout | null = null
  #sweeping: Promise<void> | null = null
  #stopped = false
  #days: number
  #started = false

  constructor(opts: LogRetentionOptions) {
    this.#opts = opts
    this.#days = opts.retentionDays
  }

  /** The retention in days (0 keeps everything). */
  get retentionDays(): number {
    return this.#days
  }

  /** Change the retention from now on (`PUT /v1/relay/logging`); a started sweep follows it. */
  setRetentionDays(days: number): void {
    this.#days = days
    if (!this.#started) return
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#arm()
  }

  /** Start the retention sweep: once now, then every hour (the timer never keeps the process alive). */
  start(): void {
    this.#started = true
    this.#arm()
  }

  #arm(): void {
    if (this.#opts.dir === null || this.#days <= 0 || this.#timer || this.#stopped) return
    this.#startSweep()
    this.#timer = setInterval(() => this.#startSweep(), HOUR_MS)
    this.#timer.unref()
  }

  #startSweep(): void {
    if (this.#sweeping || this.#stopped) return
    this.#sweeping = this.sweep()
      .then(() => undefined)
      .finally(() => {
        this.#sweeping = null
      })
  }

  /**
   * Delete the hour files that are older than the retention period **and** that the retention
   * policy has been in force for (and the directories they leave empty). The first sweep in a logs
   * directory writes {@link RETENTION_MARKER}; hour files that were already older than the retention
   * at that moment (e.g. months of logs of the Python relay, which kept everything) are never
   * deleted, and a one-time warning says how many were kept. Returns the number of files deleted.
   */
  async sweep(): Promise<number> {
    const dir = this.#opts.dir
    const days = this.#days
    if (dir === null || days <= 0) return 0
    const now = this.#opts.now()
    const cutoff = now - days * DAY_MS
    let removed = 0
    try {
      const marker = await this.#retentionMarker(dir, now, days)
      if (marker === null) return 0
      const keepBefore = marker.startedAt - marker.retentionDays * DAY_MS
      let kept = 0
      let expiring = 0
      for (const year of await listDir(dir)) {
        if (!/^\d{4}$/.test(year)) continue
        const yearDir = join(dir, year)
        for (const month of await listDir(yearDir)) {
          if (!/^\d{2}$/.test(month)) continue
          const monthDir = join(yearDir, month)
          for (const file of await listDir(monthDir)) {
            const match = /^(\d{2})-(\d{2})\.log$/.exec(file)
            if (!match) continue
            const hourEnd =
              Date.UTC(Number(year), Number(month) - 1, Number(match[1]), Number(match[2])) + HOUR_MS
            if (hourEnd <= keepBefore) {
              // Already past the retention when AIRelays took this directory over: never deleted.
              kept++
            } else if (hourEnd <= cutoff) {
              await fs.rm(join(monthDir, file), { force: true })
              removed++
            } else if (marker.created && hourEnd <= now) {
              expiring++
            }
          }
          await fs.rmdir(monthDir).catch(() => {})
        }
        await fs.rmdir(yearDir).catch(() => {})
      }
      if (marker.created && (kept > 0 || expiring > 0))
        retentionNotice(this.#opts, { dir, days, kept, expiring, now })
    } catch (error) {
      this.#opts.report(`AIRelays could not apply log retention under ${dir}.`, error)
    }
    return removed
  }

  /** Stop sweeping; resolves once a running sweep has ended. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#sweeping
  }

  /**
   * The retention marker of `dir`: read, or created by the first sweep. `null` when it cannot be
   * read, understood or written (reported; nothing is deleted then).
   */
  async #retentionMarker(
    dir: string,
    now: number,
    retentionDays: number,
  ): Promise<{ startedAt: number; retentionDays: number; created: boolean } | null> {
    const path = join(dir, RETENTION_MARKER)
    let text: string | null = null
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (error) {
      if (!['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) {
        this.#opts.report(`AIRelays cannot read ${path}, so no traffic log file is deleted.`, error)
        return null
      }
    }
    if (text !== null) {
      const marker = parseRetentionMarker(text)
      if (marker === null) {
        this.#opts.report(
          `AIRelays cannot understand ${path}, so no traffic log file is deleted. Remove it to keep every existing log file and apply logging.retention_days from now on.`,
          null,
        )
        return null
      }
      return { ...marker, created: false }
    }
    const content = `${JSON.stringify({ started_at: new Date(now).toISOString(), retention_days: retentionDays })}\n`
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    } catch {
      // No logs directory and none can be made: nothing to delete. The writer reports the disk.
      return null
    }
    try {
      await fs.writeFile(temp, content, { mode: 0o600, flag: 'wx' })
      await fs.rename(temp, path)
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => {})
      this.#opts.report(`AIRelays could not write ${path}, so no traffic log file is deleted.`, error)
      return null
    }
    return { startedAt: now, retentionDays, created: true }
  }
}

function parseRetentionMarker(text: string): { startedAt: number; retentionDays: number } | null {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (!data || typeof data !== 'object') return null
  const { started_at: startedAt, retention_days: retentionDays } = data as Record<string, unknown>
  if (typeof startedAt !== 'string' || typeof retentionDays !== 'number') return null
  const time = Date.parse(startedAt)
  if (!Number.isFinite(time) || !Number.isInteger(retentionDays) || retentionDays < 0) return null
  return { startedAt: time, retentionDays }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await fs.readdir(path)
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return []
    throw error
  }
}

/** The one-time notice of the first sweep in a directory that already held log files. */
function retentionNotice(
  opts: LogRetentionOptions,
  found: { dir: string; days: number; kept: number; expiring: number; now: number },
): void {
  const { dir, days, kept, expiring, now } = found
  const parts: string[] = []
  if (kept > 0) {
    parts.push(
      `AIRelays kept ${kept} traffic log file(s) in ${dir} that are older than logging.retention_days (${days} days): they were there before AIRelays applied log retention to this directory, and it never deletes them. Delete them by hand if you no longer need them, or keep them.`,
    )
  }
  if (expiring > 0) {
    parts.push(
      `${kept > 0 ? 'The' : `AIRelays now applies logging.retention_days (${days} days) to ${dir}: the`} ${expiring} log file(s) already there from the last ${days} days will be deleted once they are ${days} days old; set logging.retention_days = 0 to keep them.`,
    )
  }
  opts.warn(parts.join(' '))
  opts.record('log_retention_kept', {
    logs_dir: dir,
    kept_files: kept,
    kept_before: new Date(now - days * DAY_MS).toISOString(),
    expiring_files: expiring,
    retention_days: days,
    retention_started_at: new Date(now).toISOString(),
  })
}

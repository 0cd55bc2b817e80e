import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { redact, redactingReplacer, type SecretSet } from './redact'

/** Receives operational problems of the relay (log disk failures, sweep errors). */
export interface RelayLogger {
  warn(message: string): void
  error(message: string): void
}

/** A request or response body captured for the log; summarised lazily, at write time. */
export class BodySnapshot {
  constructor(
    readonly data: Uint8Array | string | null,
    readonly contentType: string | null,
    readonly parsed?: unknown,
  ) {}
}

/** A body snapshot whose bytes were not read (e.g. rejected before reading). */
export class BodySummary {
  constructor(readonly summary: Record<string, unknown>) {}
}

const TEXT_TYPES = /json|xml|javascript|x-www-form-urlencoded/i
const BINARY_NOTE = 'Binary payload omitted by default. This is explicit, not silent truncation.'

function materializeBody(snapshot: BodySnapshot): Record<string, unknown> {
  const { contentType } = snapshot
  const data =
    snapshot.data === null && snapshot.parsed !== undefined ? JSON.stringify(snapshot.parsed) : snapshot.data
  const bytes = data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
  if (bytes === 0) return { kind: 'empty', bytes: 0 }
  const sha256 = createHash('sha256')
    .update(data as Uint8Array | string)
    .digest('hex')
  const textLike =
    !contentType || contentType.toLowerCase().startsWith('text/') || TEXT_TYPES.test(contentType)
  if (!textLike) return { kind: 'binary_summary', bytes, sha256, note: BINARY_NOTE }
  // Redaction of `json` happens in the record's serialisation (see #serialise).
  if (snapshot.parsed !== undefined) return { kind: 'json', bytes, sha256, json: snapshot.parsed }
  const raw = data as Uint8Array | string
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
  try {
    return { kind: 'json', bytes, sha256, json: JSON.parse(text) }
  } catch {
    return { kind: 'text', bytes, sha256, text }
  }
}

/** Options of {@link TrafficLog}. */
export interface TrafficLogOptions {
  /** Directory of the hourly files; `null` disables file logging (records are dropped). */
  dir: string | null
  /**
   * Hour files older than this many days are deleted, except those that were already older when
   * retention first applied to `dir` (see {@link RETENTION_MARKER}); 0 keeps everything.
   */
  retentionDays: number
  /** Secrets scrubbed from every string. */
  secrets: SecretSet
  /** Wall clock in epoch milliseconds. */
  now: () => number
  /** Where disk problems are reported (at most once per minute). */
  logger: RelayLogger
  /** Records kept in memory while the disk is slow; older ones are dropped beyond it. */
  maxQueue?: number
  /**
   * Records are serialised (and scrubbed) only once this settles: the first read of the upstream
   * credentials, so their tokens are known to `secrets` before a prompt quoting them is written.
   */
  secretsReady?: Promise<void>
  /**
   * How long queued records wait before they are written, in ms, so the records of many requests
   * share one append instead of costing a write each (the benchmark's finding at concurrency 1).
   * A queue of {@link FLUSH_BATCH} records is written at once. Shutdown always flushes.
   * @default 50
   */
  flushDelayMs?: number
}

/** Queued records that trigger a write without waiting for the flush delay. */
const FLUSH_BATCH = 256

interface PendingRecord {
  at: number
  requestId: string
  phase: string
  fields: Record<string, unknown> | (() => Record<string, unknown>)
}

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * Name of the file in the logs directory that records when AIRelays first applied log retention
 * there (`{"started_at": ISO time, "retention_days": n}`, mode 0600). Hour files that were already
 * older than the retention at that time are never deleted.
 */
export const RETENTION_MARKER = '.airelays-retention'
const REPORT_INTERVAL_MS = 60_000

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** `<dir>/YYYY/MM/DD-HH.log` for the UTC hour of `at`. */
export function hourFilePath(dir: string, at: number): string {
  const d = new Date(at)
  return join(
    dir,
    String(d.getUTCFullYear()),
    pad(d.getUTCMonth() + 1),
    `${pad(d.getUTCDate())}-${pad(d.getUTCHours())}.log`,
  )
}

/**
 * The traffic log: hourly JSONL files under the logs directory. `write()` only queues; an async
 * writer redacts, serialises and appends in batches, so the response path never waits for the
 * disk. If the disk fails, records are dropped and the failure is reported at most once a minute.
 */
export class TrafficLog {
  readonly #opts: TrafficLogOptions
  #queue: PendingRecord[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null
  #handle: fs.FileHandle | null = null
  #handlePath: string | null = null
  #lastReport = Number.NEGATIVE_INFINITY
  #dropped = 0
  #sweepTimer: NodeJS.Timeout | null = null
  #sweeping: Promise<void> | null = null
  #closed = false

  constructor(opts: TrafficLogOptions) {
    this.#opts = opts
  }

  /** Whether records are written at all. */
  get enabled(): boolean {
    return this.#opts.dir !== null
  }

  /**
   * Queue one record. Never throws, never waits. `fields` may be a function: it is called when
   * the record is serialised (off the request path), for records that are costly to build and
   * whose inputs do not change afterwards.
   */
  write(
    requestId: string,
    phase: string,
    fields: Record<string, unknown> | (() => Record<string, unknown>) = {},
  ): void {
    if (this.#opts.dir === null || this.#closed) return
    const max = this.#opts.maxQueue ?? 50_000
    if (this.#queue.length >= max) {
      this.#queue.shift()
      this.#dropped++
    }
    this.#queue.push({ at: this.#opts.now(), requestId, phase, fields })
    if (this.#queue.length >= FLUSH_BATCH) {
      void this.flush()
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => void this.flush(), this.#opts.flushDelayMs ?? 50)
      this.#timer.unref()
    }
  }

  /** Write everything queued so far. */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    if (this.#flushing) return this.#flushing.then(() => (this.#queue.length > 0 ? this.flush() : undefined))
    if (this.#queue.length === 0) return Promise.resolve()
    const batch = this.#queue
    this.#queue = []
    this.#flushing = this.#writeBatch(batch).finally(() => {
      this.#flushing = null
    })
    return this.#flushing
  }

  async #writeBatch(batch: PendingRecord[]): Promise<void> {
    const dir = this.#opts.dir
    if (dir === null) return
    if (this.#opts.secretsReady) await this.#opts.secretsReady
    const groups = new Map<string, string[]>()
    for (const record of batch) {
      let line: string
      try {
        line = this.#serialise(record)
      } catch (error) {
        this.#report(`AIRelays could not serialise a traffic log record (${record.phase}).`, error)
        continue
      }
      const path = hourFilePath(dir, record.at)
      const lines = groups.get(path)
      if (lines) lines.push(line)
      else groups.set(path, [line])
    }
    for (const [path, lines] of groups) {
      try {
        const handle = await this.#open(path)
        await handle.write(`${lines.join('\n')}\n`)
      } catch (error) {
        this.#dropped += lines.length
        await this.#closeHandle()
        this.#report(
          `AIRelays could not write its traffic log under ${dir}; requests are still served.`,
          error,
        )
      }
    }
    if (this.#dropped > 0 && this.#queue.length === 0) {
      const dropped = this.#dropped
      this.#dropped = 0
      this.#report(`AIRelays dropped ${dropped} traffic log record(s).`, null)
    }
  }

  #serialise(record: PendingRecord): string {
    const { secrets } = this.#opts
    const body: Record<string, unknown> = {
      logged_at: new Date(record.at).toISOString(),
      request_id: record.requestId,
      phase: record.phase,
    }
    const fields = typeof record.fields === 'function' ? record.fields() : record.fields
    for (const [key, value] of Object.entries(fields)) {
      if (value instanceof BodySnapshot) body[key] = materializeBody(value)
      else if (value instanceof BodySummary) body[key] = value.summary
      else body[key] = value
    }
    let line: string
    try {
      // One pass: redaction and scrubbing happen inside the serialisation, without a deep copy.
      line = JSON.stringify(body, redactingReplacer(secrets))
    } catch {
      // e.g. nesting too deep for the replacer's recursion: the depth-limited copy never fails.
      line = JSON.stringify(redact(body, secrets))
    }
    return line.includes('\u2028') || line.includes('\u2029')
      ? line.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
      : line
  }

  async #open(path: string): Promise<fs.FileHandle> {
    if (this.#handle && this.#handlePath === path) return this.#handle
    await this.#closeHandle()
    await fs.mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
    const handle = await fs.open(path, 'a', 0o600)
    try {
      await handle.chmod(0o600)
    } catch {
      // best effort: the file was created 0600 above, only a pre-existing file may differ
    }
    this.#handle = handle
    this.#handlePath = path
    return handle
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle
    this.#handle = null
    this.#handlePath = null
    if (handle) await handle.close().catch(() => {})
  }

  #report(message: string, error: unknown): void {
    const now = this.#opts.now()
    if (now - this.#lastReport < REPORT_INTERVAL_MS) return
    this.#lastReport = now
    const detail = error instanceof Error ? ` (${error.message})` : ''
    this.#opts.logger.error(this.#opts.secrets.scrub(`${message}${detail}`))
  }

  /** Start the retention sweep: once now, then every hour (the timer never keeps the process alive). */
  startRetention(): void {
    if (this.#opts.dir === null || this.#opts.retentionDays <= 0 || this.#sweepTimer) return
    this.#startSweep()
    this.#sweepTimer = setInterval(() => this.#startSweep(), HOUR_MS)
    this.#sweepTimer.unref()
  }

  #startSweep(): void {
    if (this.#sweeping || this.#closed) return
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
    const days = this.#opts.retentionDays
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
      if (marker.created && (kept > 0 || expiring > 0)) this.#retentionNotice(dir, days, kept, expiring, now)
    } catch (error) {
      this.#report(`AIRelays could not apply log retention under ${dir}.`, error)
    }
    return removed
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
        this.#report(`AIRelays cannot read ${path}, so no traffic log file is deleted.`, error)
        return null
      }
    }
    if (text !== null) {
      const marker = parseRetentionMarker(text)
      if (marker === null) {
        this.#report(
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
      this.#report(`AIRelays could not write ${path}, so no traffic log file is deleted.`, error)
      return null
    }
    return { startedAt: now, retentionDays, created: true }
  }

  /** The one-time notice of the first sweep in a directory that already held log files. */
  #retentionNotice(dir: string, days: number, kept: number, expiring: number, now: number): void {
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
    this.#opts.logger.warn(this.#opts.secrets.scrub(parts.join(' ')))
    this.write('startup', 'log_retention_kept', {
      logs_dir: dir,
      kept_files: kept,
      kept_before: new Date(now - days * DAY_MS).toISOString(),
      expiring_files: expiring,
      retention_days: days,
      retention_started_at: new Date(now).toISOString(),
    })
  }

  /** Flush and close the current file; later writes are ignored. */
  async close(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
    this.#sweepTimer = null
    await this.#sweeping
    await this.flush()
    this.#closed = true
    await this.flush()
    await this.#closeHandle()
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

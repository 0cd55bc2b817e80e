import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { RelayLogger } from '../options'
import { LogBudget } from './log-budget'
import {
  BodySnapshot,
  BodySummary,
  DEFAULT_MAX_RECORD_BYTES,
  fieldsOf,
  type PendingRecord,
  recordLine,
  recordParts,
  serialiseRecord,
} from './record-line'
import type { SecretSet } from './redact'
import { LogRetention } from './retention'

export { BodySnapshot, BodySummary, fieldsOf, type PendingRecord, recordLine, serialiseRecord }

/** Options of {@link TrafficLog}. */
export interface TrafficLogOptions {
  /** Directory of the hourly files; `null` disables file logging (records are dropped). */
  dir: string | null
  /**
   * Hour files older than this many days are deleted, except those that were already older when
   * retention first applied to `dir` (see `RETENTION_MARKER` in retention.ts); 0 keeps everything.
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
   * Most bytes of one record (`[logging] max_request_log_bytes`); a longer record has its largest
   * fields replaced by a cut preview marked `truncated`. @default 1048576
   */
  maxRecordBytes?: number
  /**
   * Most bytes of all hour files together (`[logging] max_total_bytes`); 0 means no limit. Past it
   * the oldest hour files are deleted; when the current hour alone is over, records are dropped
   * and reported. @default 1073741824
   */
  maxTotalBytes?: number
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
 * The UTF-8 bytes of lines given in pieces (see `recordParts`), each followed by a newline, in one
 * buffer of the exact size: each piece is encoded straight into it, so no line is ever joined into
 * one large string (bench/findings.md, "A 1 MB request").
 */
export function encodeLines(lines: readonly (readonly string[])[]): Buffer {
  let size = lines.length
  for (const parts of lines) for (const part of parts) size += Buffer.byteLength(part)
  const out = Buffer.allocUnsafe(size)
  let offset = 0
  for (const parts of lines) {
    for (const part of parts) offset += out.write(part, offset)
    out[offset++] = 0x0a
  }
  // Pieces never split a surrogate pair, so each is written whole; anything else is a bug.
  if (offset !== size) throw new Error(`encodeLines: wrote ${offset} of ${size} bytes`)
  return out
}

/** The open hour file: kept open while records go to the same hour, created 0600 in 0700 folders. */
class HourFile {
  #handle: fs.FileHandle | null = null
  #path: string | null = null

  async append(path: string, data: Buffer): Promise<void> {
    if (!this.#handle || this.#path !== path) {
      await this.close()
      await fs.mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
      const handle = await fs.open(path, 'a', 0o600)
      try {
        await handle.chmod(0o600)
      } catch {
        // best effort: the file was created 0600 above, only a pre-existing file may differ
      }
      this.#handle = handle
      this.#path = path
    }
    for (let offset = 0; offset < data.length; ) {
      const { bytesWritten } = await this.#handle.write(data, offset)
      if (bytesWritten <= 0) throw new Error('the traffic log file took no bytes')
      offset += bytesWritten
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle
    this.#handle = null
    this.#path = null
    if (handle) await handle.close().catch(() => {})
  }
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
  readonly #file: HourFile = new HourFile()
  #lastReport = Number.NEGATIVE_INFINITY
  #dropped = 0
  #closed = false
  readonly #retention: LogRetention
  readonly #budget: LogBudget
  /**
   * Called with every record as it is queued, even when file logging is off (the dashboard's
   * traffic feed). It must only queue: it runs on the request path.
   */
  tap: ((record: PendingRecord) => void) | null = null

  constructor(opts: TrafficLogOptions) {
    this.#opts = opts
    this.#budget = new LogBudget(opts.dir ?? '', opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES)
    this.#retention = new LogRetention({
      dir: opts.dir,
      retentionDays: opts.retentionDays,
      now: opts.now,
      report: (message, error) => this.#report(message, error),
      warn: (message) => opts.logger.warn(opts.secrets.scrub(message)),
      record: (phase, fields) => this.write('startup', phase, fields),
    })
  }

  /**
   * The record's line as the file gets it (redacted, cut to `maxRecordBytes`), made once and
   * shared with the dashboard's feed (see {@link recordLine}). Call it only once the request's
   * upstream credentials were read (`secretsReady`), as the writer does.
   */
  line(record: PendingRecord): string {
    return recordLine(record, this.#opts.secrets, this.#opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES)
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
    if (this.#closed || (this.#opts.dir === null && this.tap === null)) return
    const record: PendingRecord = { at: this.#opts.now(), requestId, phase, fields }
    if (this.tap !== null) this.tap(record)
    if (this.#opts.dir === null) return
    const max = this.#opts.maxQueue ?? 50_000
    if (this.#queue.length >= max) {
      this.#queue.shift()
      this.#dropped++
    }
    this.#queue.push(record)
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
    const groups = new Map<string, (readonly string[])[]>()
    for (const record of batch) {
      let parts: readonly string[]
      try {
        parts = recordParts(record, this.#opts.secrets, this.#opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES)
      } catch (error) {
        this.#report(`AIRelays could not serialise a traffic log record (${record.phase}).`, error)
        continue
      }
      const path = hourFilePath(dir, record.at)
      const lines = groups.get(path)
      if (lines) lines.push(parts)
      else groups.set(path, [parts])
    }
    for (const [path, lines] of groups) {
      try {
        const data = encodeLines(lines)
        if (!(await this.#budget.admit(data.length, path))) {
          this.#dropped += lines.length
          this.#report(
            `AIRelays stopped writing its traffic log under ${dir}: the logs reached [logging] max_total_bytes (${this.#opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES} bytes) within the current hour; requests are still served.`,
            null,
          )
          continue
        }
        await this.#file.append(path, data)
      } catch (error) {
        this.#dropped += lines.length
        await this.#file.close()
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

  #report(message: string, error: unknown): void {
    const now = this.#opts.now()
    if (now - this.#lastReport < REPORT_INTERVAL_MS) return
    this.#lastReport = now
    const detail = error instanceof Error ? ` (${error.message})` : ''
    this.#opts.logger.error(this.#opts.secrets.scrub(`${message}${detail}`))
  }

  /** Start the retention sweep: once now, then every hour (the timer never keeps the process alive). */
  startRetention(): void {
    this.#retention.start()
  }

  /** The retention sweep (its days can change while the relay runs). */
  get retention(): LogRetention {
    return this.#retention
  }

  /** The size budget of all hour files. */
  get budget(): LogBudget {
    return this.#budget
  }

  /** One retention sweep now (see {@link LogRetention.sweep}); the number of files deleted. */
  sweep(): Promise<number> {
    return this.#retention.sweep()
  }

  /** Flush and close the current file; later writes are ignored. */
  async close(): Promise<void> {
    await this.#retention.stop()
    await this.flush()
    this.#closed = true
    await this.flush()
    await this.#file.close()
  }
}

/** Default of {@link TrafficLogOptions.maxTotalBytes}. */
const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024

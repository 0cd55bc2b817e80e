import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { RelayLogger } from '../options'
import { LogBudget } from './log-budget'
import { redact, redactingReplacer, redactText, type SecretSet } from './redact'
import { LogRetention } from './retention'

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

function materializeBody(snapshot: BodySnapshot, secrets: SecretSet): Record<string, unknown> {
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
    // Not JSON (malformed JSON, a form post, plain text): secret-named values are redacted from
    // the text itself, since the serialiser only sees one string (issue 26, item 7).
    return { kind: 'text', bytes, sha256, text: redactText(text, secrets) }
  }
}

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

/** One queued record (also what a {@link TrafficTap} receives). */
export interface PendingRecord {
  at: number
  requestId: string
  phase: string
  fields: Record<string, unknown> | (() => Record<string, unknown>)
}

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

/** The open hour file: kept open while records go to the same hour, created 0600 in 0700 folders. */
class HourFile {
  #handle: fs.FileHandle | null = null
  #path: string | null = null

  async append(path: string, text: string): Promise<void> {
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
    await this.#handle.write(text)
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
    const groups = new Map<string, string[]>()
    for (const record of batch) {
      let line: string
      try {
        line = serialiseRecord(
          record,
          this.#opts.secrets,
          this.#opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
        )
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
      const text = `${lines.join('\n')}\n`
      try {
        if (!(await this.#budget.admit(Buffer.byteLength(text), path))) {
          this.#dropped += lines.length
          this.#report(
            `AIRelays stopped writing its traffic log under ${dir}: the logs reached [logging] max_total_bytes (${this.#opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES} bytes) within the current hour; requests are still served.`,
            null,
          )
          continue
        }
        await this.#file.append(path, text)
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

/** Default of {@link TrafficLogOptions.maxRecordBytes}. */
const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024
/** Default of {@link TrafficLogOptions.maxTotalBytes}. */
const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024
/** The fields every record keeps whole. */
const RECORD_HEAD = new Set(['logged_at', 'request_id', 'phase'])

function stringify(value: unknown, secrets: SecretSet): string {
  try {
    // One pass: redaction and scrubbing happen inside the serialisation, without a deep copy.
    return JSON.stringify(value, redactingReplacer(secrets)) ?? 'null'
  } catch {
    // e.g. nesting too deep for the replacer's recursion: the depth-limited copy never fails.
    return JSON.stringify(redact(value, secrets)) ?? 'null'
  }
}

/**
 * Cuts a record that serialises to more than `max` bytes: its largest fields, one after the
 * other, become `{truncated: true, bytes, preview}` where `preview` is the start of the field's
 * (already redacted) JSON, so nothing unredacted is kept and the line fits.
 */
function truncateRecord(
  body: Record<string, unknown>,
  line: { text: string; bytes: number },
  max: number,
  secrets: SecretSet,
): string {
  const sizes = Object.keys(body)
    .filter((key) => !RECORD_HEAD.has(key))
    .map((key) => ({ key, json: stringify(body[key], secrets) }))
    .sort((a, b) => b.json.length - a.json.length)
  let current = line.text
  // The whole line's size is known from the caller: measuring a megabyte string again costs
  // about as much as serialising it (bench/findings.md, item 11).
  let currentBytes = line.bytes
  for (const { key, json } of sizes) {
    const bytes = Buffer.byteLength(json)
    let keep = Math.max(0, Math.floor((max - (currentBytes - bytes) - 256) / 2))
    for (let attempt = 0; attempt < 8; attempt++) {
      body[key] = { truncated: true, bytes, preview: json.slice(0, keep) }
      current = stringify(body, secrets)
      currentBytes = Buffer.byteLength(current)
      if (currentBytes <= max || keep === 0) break
      keep = Math.floor(keep / 2)
    }
    if (currentBytes <= max) return current
  }
  return current
}

/** One JSONL line: bodies materialised, secrets redacted and scrubbed in the same pass, cut to `max` bytes. */
export function serialiseRecord(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): string {
  const body: Record<string, unknown> = {
    logged_at: new Date(record.at).toISOString(),
    request_id: record.requestId,
    phase: record.phase,
  }
  const fields = typeof record.fields === 'function' ? record.fields() : record.fields
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof BodySnapshot) body[key] = materializeBody(value, secrets)
    else if (value instanceof BodySummary) body[key] = value.summary
    else body[key] = value
  }
  let line = stringify(body, secrets)
  if (line.length > max / 4) {
    const bytes = Buffer.byteLength(line)
    if (bytes > max) line = truncateRecord(body, { text: line, bytes }, max, secrets)
  }
  return line.includes('\u2028') || line.includes('\u2029')
    ? line.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
    : line
}

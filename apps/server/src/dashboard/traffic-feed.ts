import type { SecretSet } from '../logging/redact'
import { BodySnapshot, fieldsOf, type PendingRecord, recordLine } from '../logging/traffic-log'

import type { TrafficEntry, TrafficMinute } from './feed-types'

export type { TrafficEntry, TrafficMinute } from './feed-types'

/** What a subscriber of the feed receives. */
export type FeedEvent = { kind: 'request'; entry: TrafficEntry } | { kind: 'dropped'; count: number }

/** A live listener of the feed; its queue is bounded by the feed (oldest events dropped first). */
export interface FeedSubscription {
  /** Take the queued events (empty when none); `dropped` events tell how many were lost. */
  drain(): FeedEvent[]
  /** Resolves when an event is queued or the subscription ends. */
  next(): Promise<void>
  readonly closed: boolean
  close(): void
}

/** Options of {@link TrafficFeed}. */
export interface TrafficFeedOptions {
  secrets: SecretSet
  now: () => number
  /** Finished requests kept for the list shown when the page opens. @default 200 */
  recent?: number
  /** Events queued per subscriber before the oldest are dropped. @default 256 */
  subscriberQueue?: number
  /** Longest redacted record kept for a request's detail, in characters. @default 65536 */
  maxRecordChars?: number
  /**
   * A record's redacted line. Pass the traffic log's `line` so a record is serialised once for
   * the file and the feed. @default recordLine with `secrets`
   */
  line?: (record: PendingRecord) => string
  /**
   * How long tapped records wait before the feed reads them, in ms: the requests finished
   * meanwhile reach each subscriber as one write. A person watching does not notice 200 ms; a
   * relay serving a request every few ms is spared a write (and a wake-up) per request. @default 200
   */
  batchMs?: number
}

interface OpenRequest {
  at: number
  method: string
  route: string
  model: string | null
  /**
   * The request's records while it runs (null when nobody was watching as it started). They are
   * serialised only once it ends (by then its upstream credentials are known to the scrubber),
   * through `line`, which the file writer shares.
   */
  records: PendingRecord[] | null
}

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** Requests whose `inbound_request` was seen and whose end was not, at most. */
const MAX_OPEN = 2048
const DETAIL_KEPT = 50

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/** The model a request body names (parsed JSON bodies only). */
function modelOf(body: unknown): string | null {
  if (!(body instanceof BodySnapshot)) return null
  const parsed = record(body.parsed)
  return typeof parsed?.model === 'string' ? parsed.model : null
}

/** Tokens of a Responses or Chat Completions `usage` object. */
function tokensOf(usage: unknown): { input: number | null; output: number | null; cached: number | null } {
  const u = record(usage)
  if (!u) return { input: null, output: null, cached: null }
  const input = num(u.input_tokens) ?? num(u.prompt_tokens)
  const output = num(u.output_tokens) ?? num(u.completion_tokens)
  const details = record(u.input_tokens_details) ?? record(u.prompt_tokens_details)
  return { input, output, cached: num(details?.cached_tokens) }
}

/**
 * The dashboard's view of the traffic log: it taps the records the log queues (one comparison and,
 * for the records it needs, an array push on the request path) and reads them off that path, once
 * per batch interval. With nobody watching it needs only each request's first and last record (for
 * the list shown when the page opens and the last hour's counts) and ignores the others; while
 * someone watches it also keeps the redacted records of the last requests (serialised once, shared
 * with the log file's writer) and sends the requests finished in the interval as one write.
 * Each subscriber has a bounded queue: a slow reader loses the oldest events, never the relay's time.
 */
export class TrafficFeed {
  readonly startedAt: number
  readonly #opts: Required<Omit<TrafficFeedOptions, 'line'>>
  readonly #line: (record: PendingRecord) => string
  #pending: PendingRecord[] = []
  /** `inbound_request` records tapped while someone watched: their requests' records are kept. */
  readonly #watched = new WeakSet<PendingRecord>()
  #timer: NodeJS.Timeout | null = null
  readonly #open = new Map<string, OpenRequest>()
  readonly #recent: TrafficEntry[] = []
  readonly #details = new Map<string, string[]>()
  readonly #minutes: TrafficMinute[] = []
  readonly #subscribers = new Set<Subscriber>()

  constructor(options: TrafficFeedOptions) {
    const { line, ...rest } = options
    this.#opts = { recent: 200, subscriberQueue: 256, maxRecordChars: 65_536, batchMs: 200, ...rest }
    this.#line = line ?? ((record) => recordLine(record, options.secrets))
    this.startedAt = options.now()
  }

  /** The tap to install as `TrafficLog.tap`. */
  readonly tap = (rec: PendingRecord): void => {
    if (this.#subscribers.size > 0) {
      if (rec.phase === 'inbound_request') this.#watched.add(rec)
    } else if (rec.phase !== 'inbound_request' && rec.phase !== 'outbound_response') {
      // (a request still running when the last dashboard left keeps the records it had)
      return
    }
    this.#pending.push(rec)
    if (this.#timer !== null) return
    this.#timer = setTimeout(() => this.flush(), this.#opts.batchMs)
    this.#timer.unref()
  }

  /** Read the records tapped so far now (the reads below do it first) and send what finished. */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    if (this.#pending.length === 0) return
    const batch = this.#pending
    this.#pending = []
    const finished: FeedEvent[] = []
    for (const rec of batch) {
      try {
        const entry = this.#one(rec)
        if (entry !== null) finished.push({ kind: 'request', entry })
      } catch {
        // a record the feed cannot read is left to the log; the dashboard just misses it
      }
    }
    if (finished.length === 0) return
    for (const sub of this.#subscribers) sub.pushAll(finished)
  }

  /** Number of live subscribers. */
  get subscribers(): number {
    return this.#subscribers.size
  }

  /** Finished requests, oldest first. */
  recent(): TrafficEntry[] {
    this.flush()
    return [...this.#recent]
  }

  /** Per-minute counts of the last hour, oldest first (minutes without traffic left out). */
  minutes(): TrafficMinute[] {
    this.flush()
    this.#trimMinutes()
    return this.#minutes.map((m) => ({ ...m }))
  }

  /** Totals of the last hour. */
  lastHour(): { requests: number; errors: number; tokens_in: number; tokens_out: number } {
    const total = { requests: 0, errors: 0, tokens_in: 0, tokens_out: 0 }
    for (const m of this.minutes()) {
      total.requests += m.requests
      total.errors += m.errors
      total.tokens_in += m.tokens_in
      total.tokens_out += m.tokens_out
    }
    return total
  }

  /** The redacted log records of a request (JSON objects), or null when not kept. */
  detail(requestId: string): unknown[] | null {
    this.flush()
    const lines = this.#details.get(requestId)
    return lines ? lines.map((line) => JSON.parse(line) as unknown) : null
  }

  /** Listen to finished requests. */
  subscribe(): FeedSubscription {
    const sub = new Subscriber(this.#opts.subscriberQueue, () => this.#subscribers.delete(sub))
    this.#subscribers.add(sub)
    return sub
  }

  /** End every subscription. */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    for (const sub of [...this.#subscribers]) sub.close()
  }

  /** Take one record in; the entry of the request it finished, if any. */
  #one(rec: PendingRecord): TrafficEntry | null {
    if (rec.phase === 'inbound_request') {
      const fields = fieldsOf(rec)
      if (this.#open.size >= MAX_OPEN) {
        const oldest = this.#open.keys().next().value
        if (oldest !== undefined) this.#open.delete(oldest)
      }
      this.#open.set(rec.requestId, {
        at: rec.at,
        method: typeof fields.method === 'string' ? fields.method : '',
        route: typeof fields.path === 'string' ? fields.path : '',
        model: modelOf(fields.body),
        records: this.#watched.has(rec) ? [rec] : null,
      })
      return null
    }
    const open = this.#open.get(rec.requestId)
    if (!open) return null
    if (open.records !== null) open.records.push(rec)
    if (rec.phase !== 'outbound_response') return null
    this.#open.delete(rec.requestId)
    const fields = fieldsOf(rec)
    const tokens = tokensOf(fields.usage)
    const status = num(fields.status_code) ?? 0
    const entry: TrafficEntry = {
      request_id: rec.requestId,
      started_at: new Date(open.at).toISOString(),
      finished_at: new Date(rec.at).toISOString(),
      method: open.method,
      route: open.route,
      model: typeof fields.model === 'string' ? fields.model : open.model,
      account: typeof fields.account === 'string' ? fields.account : null,
      stream: fields.stream === true,
      status,
      outcome: typeof fields.outcome === 'string' ? fields.outcome : 'completed',
      duration_ms: num(fields.duration_ms),
      tokens_in: tokens.input,
      tokens_out: tokens.output,
      cached_tokens: tokens.cached,
      has_detail: open.records !== null,
    }
    if (open.records !== null) {
      this.#details.set(
        rec.requestId,
        open.records.map((r) => this.#serialise(r)),
      )
      if (this.#details.size > DETAIL_KEPT) {
        const oldest = this.#details.keys().next().value
        if (oldest !== undefined) this.#details.delete(oldest)
      }
    }
    this.#recent.push(entry)
    if (this.#recent.length > this.#opts.recent) this.#recent.shift()
    this.#count(entry, rec.at)
    return entry
  }

  #serialise(rec: PendingRecord): string {
    const line = this.#line(rec)
    if (line.length <= this.#opts.maxRecordChars) return line
    return JSON.stringify({
      logged_at: new Date(rec.at).toISOString(),
      request_id: rec.requestId,
      phase: rec.phase,
      omitted: `Record of ${line.length} characters not kept by the dashboard; see the traffic log file.`,
    })
  }

  #count(entry: TrafficEntry, at: number): void {
    const minute = at - (at % MINUTE_MS)
    let last = this.#minutes[this.#minutes.length - 1]
    if (!last || last.minute !== minute) {
      last = { minute, requests: 0, errors: 0, tokens_in: 0, tokens_out: 0 }
      this.#minutes.push(last)
    }
    last.requests++
    if (entry.status >= 400 || entry.outcome !== 'completed') last.errors++
    last.tokens_in += entry.tokens_in ?? 0
    last.tokens_out += entry.tokens_out ?? 0
    this.#trimMinutes()
  }

  #trimMinutes(): void {
    const since = this.#opts.now() - HOUR_MS
    while (this.#minutes.length > 0 && (this.#minutes[0] as TrafficMinute).minute + MINUTE_MS <= since) {
      this.#minutes.shift()
    }
  }
}

class Subscriber implements FeedSubscription {
  #queue: FeedEvent[] = []
  #dropped = 0
  #wake: (() => void) | null = null
  #closed = false

  constructor(
    readonly limit: number,
    readonly onClose: () => void,
  ) {}

  get closed(): boolean {
    return this.#closed
  }

  /** Queue the events of one batch (the reader wakes once for all of them). */
  pushAll(events: readonly FeedEvent[]): void {
    if (this.#closed) return
    for (const event of events) {
      if (this.#queue.length >= this.limit) {
        this.#queue.shift()
        this.#dropped++
      }
      this.#queue.push(event)
    }
    this.#wakeUp()
  }

  drain(): FeedEvent[] {
    const events = this.#queue
    this.#queue = []
    if (this.#dropped > 0) {
      events.unshift({ kind: 'dropped', count: this.#dropped })
      this.#dropped = 0
    }
    return events
  }

  next(): Promise<void> {
    if (this.#closed || this.#queue.length > 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.onClose()
    this.#wakeUp()
  }

  #wakeUp(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }
}

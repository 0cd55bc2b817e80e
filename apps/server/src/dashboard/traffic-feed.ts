import type { SecretSet } from '../logging/redact'
import { BodySnapshot, type PendingRecord, serialiseRecord } from '../logging/traffic-log'

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
}

interface OpenRequest {
  at: number
  method: string
  route: string
  model: string | null
  /**
   * The request's records while it runs (null when nobody was watching as it started). They are
   * serialised only once it ends: by then its upstream credentials are known to the scrubber.
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
 * The dashboard's view of the traffic log: it taps the records the log queues (one function call
 * and an array push on the request path), and turns them into request summaries off that path,
 * on the next turn of the event loop. It keeps the last finished requests, per-minute counts of
 * the last hour, and — while someone is watching — the redacted records of the last requests.
 * Each subscriber has a bounded queue: a slow reader loses the oldest events, never the relay's time.
 */
export class TrafficFeed {
  readonly startedAt: number
  readonly #opts: Required<TrafficFeedOptions>
  #pending: PendingRecord[] = []
  #scheduled = false
  readonly #open = new Map<string, OpenRequest>()
  readonly #recent: TrafficEntry[] = []
  readonly #details = new Map<string, string[]>()
  readonly #minutes: TrafficMinute[] = []
  readonly #subscribers = new Set<Subscriber>()

  constructor(options: TrafficFeedOptions) {
    this.#opts = { recent: 200, subscriberQueue: 256, maxRecordChars: 65_536, ...options }
    this.startedAt = options.now()
  }

  /** The tap to install as `TrafficLog.tap`. */
  readonly tap = (rec: PendingRecord): void => {
    this.#pending.push(rec)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => this.#process())
  }

  /** Number of live subscribers. */
  get subscribers(): number {
    return this.#subscribers.size
  }

  /** Finished requests, oldest first. */
  recent(): TrafficEntry[] {
    return [...this.#recent]
  }

  /** Per-minute counts of the last hour, oldest first (minutes without traffic left out). */
  minutes(): TrafficMinute[] {
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
    for (const sub of [...this.#subscribers]) sub.close()
  }

  #process(): void {
    this.#scheduled = false
    const batch = this.#pending
    this.#pending = []
    for (const rec of batch) {
      try {
        this.#one(rec)
      } catch {
        // a record the feed cannot read is left to the log; the dashboard just misses it
      }
    }
  }

  #one(rec: PendingRecord): void {
    const watching = this.#subscribers.size > 0
    if (rec.phase === 'inbound_request') {
      const fields = typeof rec.fields === 'function' ? rec.fields() : rec.fields
      if (this.#open.size >= MAX_OPEN) {
        const oldest = this.#open.keys().next().value
        if (oldest !== undefined) this.#open.delete(oldest)
      }
      this.#open.set(rec.requestId, {
        at: rec.at,
        method: typeof fields.method === 'string' ? fields.method : '',
        route: typeof fields.path === 'string' ? fields.path : '',
        model: modelOf(fields.body),
        records: watching ? [{ ...rec, fields }] : null,
      })
      return
    }
    const open = this.#open.get(rec.requestId)
    if (!open) return
    if (open.records !== null) open.records.push(rec)
    if (rec.phase !== 'outbound_response') return
    this.#open.delete(rec.requestId)
    const fields = typeof rec.fields === 'function' ? rec.fields() : rec.fields
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
    for (const sub of this.#subscribers) sub.push({ kind: 'request', entry })
  }

  #serialise(rec: PendingRecord): string {
    const line = serialiseRecord(rec, this.#opts.secrets)
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

  push(event: FeedEvent): void {
    if (this.#closed) return
    if (this.#queue.length >= this.limit) {
      this.#queue.shift()
      this.#dropped++
    }
    this.#queue.push(event)
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

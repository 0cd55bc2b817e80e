import type { H3Event } from 'h3'
import { FastResponse } from 'srvx'
import { type FailureContext, toRelayError } from '../errors/to-relay-error'
import { inboundFields, type OutboundState, writeEndRecords } from '../logging/request-records'
import { BodySnapshot, type BodySummary } from '../logging/traffic-log'
import type { RelayRuntime } from '../runtime'
import { readBodyBytes, readJsonObject } from './body'
import { errorResponse } from './respond'

/** How a request ended, as the `outbound_response` record tells it. */
export type RequestOutcome = 'completed' | 'failed' | 'client_disconnected' | 'terminated'

/** The status and outcome a request finished with. */
interface RequestEnding {
  status: number
  outcome: RequestOutcome
}

/**
 * When a request ends: once the core has answered and every body that outlives the handler (a
 * stream, a download) has ended, whichever comes last. Calls `finish` exactly once; an outcome
 * other than `completed` (a body that failed or was cut) wins over the core's.
 */
class RequestEnd {
  readonly #finish: (ending: RequestEnding) => void
  #openBodies = 0
  #ending: RequestEnding | null = null
  #finished = false

  constructor(finish: (ending: RequestEnding) => void) {
    this.#finish = finish
  }

  /** A body outlives the handler: the request ends only once the returned function was called. */
  keepOpen(): (outcome: RequestOutcome) => void {
    this.#openBodies++
    let closed = false
    return (outcome) => {
      if (closed) return
      closed = true
      this.#openBodies--
      this.#settle({ status: 200, outcome })
    }
  }

  /** The core answered with `status`. */
  answered(status: number): void {
    this.#settle({ status, outcome: 'completed' })
  }

  #settle(ending: RequestEnding): void {
    if (ending.outcome !== 'completed' || this.#ending === null) this.#ending = ending
    if (this.#openBodies > 0 || this.#finished) return
    this.#finished = true
    this.#finish(this.#ending)
  }
}

/** What the relay core knows about a request when it starts. */
export interface RelayRequestInit {
  event: H3Event
  runtime: RelayRuntime
  /** `x-request-id` of this request. */
  id: string
  /** Path relative to the relay app (the mount prefix stripped). */
  path: string
  /** The mount prefix (`''` when standalone). */
  basePath: string
  /** Client address used for limits and logs. */
  clientIp: string
  /** False for monitoring paths: no log record and not counted. */
  logged: boolean
}

const JSON_TYPE = 'application/json'

/**
 * One request to the relay, from the moment the core sees it until its answer is complete. It
 * owns the request's identity (id, client IP), its body, what is logged about it (inbound record,
 * outbound body and fields) and its end: the concurrency slot, the in-flight set and the
 * `outbound_response` record. Route handlers receive it; nothing else keeps per-request state.
 */
export class RelayRequest {
  readonly id: string
  readonly event: H3Event
  readonly method: string
  readonly path: string
  readonly basePath: string
  /** The path as the client sent it (mount prefix included). */
  readonly fullPath: string
  readonly clientIp: string
  readonly logged: boolean
  /** Epoch ms when the relay saw the request. */
  readonly startedAt: number
  readonly #rt: RelayRuntime
  readonly #abort = new AbortController()
  readonly #headers: Record<string, string> = {}
  readonly #outbound: OutboundState = { body: undefined, fields: {} }
  #inbound: 'pending' | 'withheld' | 'logged' = 'pending'
  #release: (() => void) | null = null
  readonly #end: RequestEnd = new RequestEnd((ending) => this.#finish(ending))

  constructor(init: RelayRequestInit) {
    this.event = init.event
    this.#rt = init.runtime
    this.id = init.id
    this.method = init.event.req.method
    this.path = init.path
    this.basePath = init.basePath
    this.fullPath = init.basePath + init.path
    this.clientIp = init.clientIp
    this.logged = init.logged
    this.startedAt = init.runtime.now()
  }

  /** Aborted when the client disconnects or the relay shuts down; every upstream call uses it. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** What the error mapping needs to know about the relay right now. */
  get failureContext(): FailureContext {
    return {
      shuttingDown: this.#rt.lifecycle.draining,
      upstreamTimeoutSeconds: this.#rt.settings.config.upstream.request_timeout_seconds,
    }
  }

  /** Abort the request's upstream work (once). */
  abort(reason?: unknown): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(reason)
  }

  /** Add a header to the response, whatever the response turns out to be. */
  setHeader(name: string, value: string): void {
    this.#headers[name] = value
  }

  /** The headers every response of this request carries (`x-request-id` first). */
  responseHeaders(): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': this.id, ...this.#headers }
    if (this.#rt.lifecycle.draining) headers.connection = 'close'
    return headers
  }

  /** Write a traffic log record of this request (nothing for unlogged monitoring requests). */
  record(phase: string, fields: Record<string, unknown> | (() => Record<string, unknown>)): void {
    if (this.logged) this.#rt.log.write(this.id, phase, fields)
  }

  /** Add fields to the `outbound_response` record (id, model, usage, frames …). */
  note(fields: Record<string, unknown>): void {
    Object.assign(this.#outbound.fields, fields)
  }

  /** A JSON response whose body is remembered for the `outbound_response` record. */
  json(body: unknown, status = 200): Response {
    const text = JSON.stringify(body)
    this.#outbound.body = new BodySnapshot(text, JSON_TYPE, body)
    // srvx's FastResponse keeps the string: the Node adapter writes it as it is, with its
    // Content-Length, instead of reading a Web body stream back (see bench/findings.md).
    return new FastResponse(text, { status, headers: { 'content-type': JSON_TYPE } })
  }

  /** The envelope response of `error` (see `errors/to-relay-error.ts`). */
  fail(error: unknown): Response {
    const { response, snapshot } = errorResponse(this.#rt, this, toRelayError(error, this.failureContext))
    this.#outbound.body = snapshot
    return response
  }

  /** Read the body as a JSON object (size-limited), logging the inbound record with it. */
  readJson(options: { emptyAsObject: boolean }): Promise<Record<string, unknown>> {
    return readJsonObject(this, { limit: this.#rt.settings.maxJsonBodyBytes, ...options })
  }

  /** Read the whole body (size-limited). */
  readBytes(): Promise<Uint8Array> {
    return readBodyBytes(this.event, this.#rt.settings.maxJsonBodyBytes)
  }

  /** Never write the inbound record unless {@link logInbound} is called explicitly (uploads). */
  withholdInbound(): void {
    if (this.#inbound === 'pending') this.#inbound = 'withheld'
  }

  /**
   * Write the `inbound_request` record once (and count the request). `force` writes it even when
   * withheld; the core writes it without `force` for requests that never read their body.
   */
  logInbound(body: BodySnapshot | BodySummary | null, options: { force?: boolean } = {}): void {
    if (!this.logged || this.#inbound === 'logged') return
    if (this.#inbound === 'withheld' && !options.force) return
    this.#inbound = 'logged'
    this.#rt.requestsTotal++
    this.#rt.log.write(this.id, 'inbound_request', inboundFields(this, body, this.#rt.secrets))
  }

  /** Hold the concurrency slot until the request finishes (streams included). */
  holdSlot(release: () => void): void {
    this.#release = release
  }

  /**
   * The response body outlives the handler (a stream, a download): the request finishes only once
   * the returned function is called with the body's outcome, and the core has answered.
   */
  keepOpen(): (outcome: RequestOutcome) => void {
    return this.#end.keepOpen()
  }

  /** The core answered with `status`; the request finishes now unless a body is still open. */
  answered(status: number): void {
    this.#end.answered(status)
  }

  /**
   * Free the concurrency slot, leave the in-flight set and write the `outbound_response` record.
   * Runs once.
   */
  #finish(end: RequestEnding): void {
    this.#release?.()
    this.#release = null
    this.#rt.lifecycle.remove(this)
    if (!this.logged) return
    writeEndRecords(this.#rt.log, this, {
      ...end,
      durationMs: this.#rt.now() - this.startedAt,
      inboundLogged: this.#inbound === 'logged',
      outbound: this.#outbound,
    })
  }
}

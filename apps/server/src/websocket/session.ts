import { randomUUID } from 'node:crypto'
import { expandFileReferences } from '@airelays/file-inliner'
import { normalizeResponsesRequest } from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { isUpstreamError } from '@airelays/upstream-client'
import type { WebSocket } from 'ws'
import { invalidToken, limiterRefusal, shuttingDown, translationRejected } from '../errors/factories'
import { RelayError } from '../errors/relay-error'
import { toRelayError } from '../errors/to-relay-error'
import { headerRecord } from '../logging/request-records'
import { BodySnapshot } from '../logging/traffic-log'
import type { InFlight, Terminable } from '../request/lifecycle'
import type { RelayRuntime } from '../runtime'
import { tokensMatch } from '../security/bearer'
import {
  badFrame,
  CLOSE_GOING_AWAY,
  CLOSE_POLICY,
  errorEvent,
  incompleteStream,
  keepAlive,
  readFrame,
} from './frames'
import { inputItems, SessionThread } from './thread'

/** What one upgraded connection knows from its handshake. */
export interface SessionInit {
  /** Request id of the handshake (the `websocket_opened` record). */
  id: string
  /** `/v1/responses` or `/no-tools/v1/responses`. */
  path: string
  noTools: boolean
  clientIp: string
  /** The handshake's headers (logged with every `response.create`). */
  headers: Headers
  /** The relay token the handshake presented (re-checked on every `response.create`). */
  presentedToken: string | null
  /** Most bytes of thread input and output held for `previous_response_id`. */
  maxThreadBytes: number
  /** Ping interval in ms; a peer that misses three pongs in a row is cut. */
  keepAliveMs: number
}

/** The response being generated on the connection. */
interface Active extends InFlight, Terminable {
  controller: AbortController
  lastSequence: number
}

/** One `response.create` as it runs: its request id, start, abort handle and the logged fields. */
interface Turn {
  requestId: string
  startedAt: number
  active: Active
  /** Fields of the `outbound_response` record. */
  outbound: JsonObject
}

const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
])

/** Above this many bytes waiting in the socket, the next frame waits until the socket drains. */
const HIGH_WATER_BYTES = 1024 * 1024

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * One Responses WebSocket connection: takes `response.create` / `response.append` frames, runs each
 * response through the same limiter, translation and upstream client as `POST /v1/responses`, and
 * sends the upstream events back as JSON text frames. The upstream is HTTP: the connection holds
 * the thread (input and output of its last response, bounded by `maxThreadBytes`), so a client
 * continuing with `previous_response_id` sends only its new items.
 */
export class ResponsesSession {
  readonly #rt: RelayRuntime
  readonly #ws: WebSocket
  readonly #init: SessionInit
  readonly #openedAt: number
  readonly #thread: SessionThread
  #active: Active | null = null
  #responses = 0
  #draining = false
  #closed = false
  readonly #pinger: NodeJS.Timeout | null

  constructor(rt: RelayRuntime, ws: WebSocket, init: SessionInit) {
    this.#rt = rt
    this.#ws = ws
    this.#init = init
    this.#openedAt = rt.now()
    this.#thread = new SessionThread(init.maxThreadBytes)
    ws.on('message', (data, isBinary) => {
      void this.#onMessage(data, isBinary)
    })
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')))
    ws.on('error', () => {})
    this.#pinger = init.keepAliveMs > 0 ? keepAlive(ws, init.keepAliveMs) : null
  }

  /** Whether a response is being generated. */
  get busy(): boolean {
    return this.#active !== null
  }

  /** Shutdown: close now when idle (1001), else once the running response has ended. */
  drain(): void {
    this.#draining = true
    if (!this.#active) this.close(CLOSE_GOING_AWAY, 'relay shutting down')
  }

  /** Close the connection with `code` (idempotent); a running response is aborted. */
  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#active?.controller.abort(shuttingDown())
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
      this.#ws.close(code, reason)
    }
  }

  /** Cut the socket without a closing handshake (after the shutdown flush window). */
  terminate(): void {
    this.#closed = true
    this.#ws.terminate()
  }

  #onClose(code: number, reason: string): void {
    this.#closed = true
    if (this.#pinger) clearInterval(this.#pinger)
    this.#active?.controller.abort(new DOMException('The client closed the WebSocket.', 'AbortError'))
    this.#thread.clear()
    this.#rt.log.write(this.#init.id, 'websocket_closed', {
      path: this.#init.path,
      client_ip: this.#init.clientIp,
      close_code: code,
      close_reason: reason,
      responses: this.#responses,
      duration_ms: this.#rt.now() - this.#openedAt,
    })
  }

  async #onMessage(data: unknown, isBinary: boolean): Promise<void> {
    const read = readFrame(data, isBinary)
    if (read instanceof RelayError) {
      this.#sendError(read)
      return
    }
    const { frame, text } = read
    switch (frame.type) {
      case 'response.create':
        await this.#create(frame, text)
        return
      case 'response.append':
        this.#append(frame)
        return
      case 'response.processed':
        return
      default:
        this.#sendError(
          badFrame(
            'unsupported_frame',
            `Unsupported frame type \`${frame.type}\`: use response.create or response.append.`,
            'type',
          ),
        )
    }
  }

  /** `response.append`: items added to the input of the next `response.create`. */
  #append(frame: JsonObject): void {
    const items = inputItems(frame.input)
    if (items === null) {
      this.#sendError(badFrame('invalid_type', '`input` must be an array of items or a string.', 'input'))
      return
    }
    const refused = this.#thread.append(items)
    if (refused) this.#sendError(refused)
  }

  async #create(frame: JsonObject, text: string): Promise<void> {
    if (this.#active) {
      this.#sendError(
        badFrame('response_in_progress', 'A response is already being generated on this connection.'),
      )
      return
    }
    if (this.#draining || this.#rt.lifecycle.draining) {
      this.#sendError(shuttingDown())
      this.close(CLOSE_GOING_AWAY, 'relay shutting down')
      return
    }
    const rt = this.#rt
    const controller = new AbortController()
    const active: Active = {
      controller,
      lastSequence: -1,
      abort: (reason) => controller.abort(reason),
      terminate: (reason) => {
        controller.abort(reason)
        this.#sendError(toRelayError(reason, { shuttingDown: true }))
        this.close(CLOSE_GOING_AWAY, 'relay shutting down')
      },
    }
    const turn: Turn = {
      requestId: `req_${randomUUID().replaceAll('-', '')}`,
      startedAt: rt.now(),
      active,
      outbound: {},
    }
    this.#active = active
    this.#responses++
    let release: (() => void) | null = null
    let status = 200
    let outcome = 'completed'
    rt.requestsTotal++
    rt.log.write(turn.requestId, 'inbound_request', () => ({
      method: 'POST',
      path: this.#init.path,
      query: {},
      headers: headerRecord(this.#init.headers),
      client_ip: this.#init.clientIp,
      transport: 'websocket',
      connection_id: this.#init.id,
      body: new BodySnapshot(text, 'application/json', frame),
    }))
    rt.lifecycle.add(active)
    try {
      release = await this.#admit()
      await this.#respond(frame, turn)
    } catch (error) {
      status = this.#fail(error, turn)
      outcome = this.#closed ? 'client_disconnected' : 'failed'
    } finally {
      release?.()
      this.#active = null
      rt.lifecycle.remove(active)
      rt.log.write(turn.requestId, 'outbound_response', {
        status_code: status,
        duration_ms: rt.now() - turn.startedAt,
        transport: 'websocket',
        ...(outcome === 'completed' ? {} : { outcome }),
        ...turn.outbound,
      })
      if (this.#draining) this.close(CLOSE_GOING_AWAY, 'relay shutting down')
    }
  }

  /** One admitted `response.create`: its whole input, then a warm-up or a generated response. */
  async #respond(frame: JsonObject, turn: Turn): Promise<void> {
    const { type: _type, previous_response_id: previous, generate, ...body } = frame
    const items = inputItems(body.input)
    if (items === null)
      throw badFrame('invalid_type', '`input` must be an array of items or a string.', 'input')
    const input = this.#thread.inputFor(previous, items)
    if (generate === false) this.#warmUp(body, input, turn)
    else await this.#generate({ ...body, input }, input, turn)
  }

  /** `generate: false`: nothing is generated; the thread now starts with this input. */
  #warmUp(body: JsonObject, input: unknown[], turn: Turn): void {
    const id = `resp_${randomUUID().replaceAll('-', '')}`
    const model = typeof body.model === 'string' ? body.model : null
    const response = {
      id,
      object: 'response',
      created_at: Math.floor(this.#rt.now() / 1000),
      status: 'completed',
      model,
      output: [],
      usage: null,
    }
    this.#send({
      type: 'response.created',
      response: { ...response, status: 'in_progress' },
      sequence_number: 0,
    })
    this.#send({ type: 'response.completed', response, sequence_number: 1 })
    this.#thread.hold(id, input)
    Object.assign(turn.outbound, { id, model, generate: false })
  }

  /** Translate, call the upstream, relay its events; hold the thread when the response completed. */
  async #generate(body: JsonObject, input: unknown[], turn: Turn): Promise<void> {
    const rt = this.#rt
    const { active, requestId } = turn
    const { controller } = active
    const translated = normalizeResponsesRequest(body, { noTools: this.#init.noTools })
    if (!translated.ok) throw translationRejected(translated.error)
    const { request, sessionId } = translated
    if (translated.fileRefs.length > 0) {
      request.input = (await expandFileReferences(request.input, rt.files, {
        route: 'responses',
      })) as typeof request.input
    }
    const events = await rt.upstream.responses(request, { signal: controller.signal, sessionId, requestId })
    const output: unknown[] = []
    let terminal: JsonObject | null = null
    for await (const event of events as AsyncIterable<ResponsesEvent>) {
      if (typeof event.sequence_number === 'number') active.lastSequence = event.sequence_number
      if (event.type === 'response.output_item.done' && isObject(event.item)) output.push(event.item)
      if (TERMINAL_EVENTS.has(event.type) && isObject(event.response)) terminal = event.response
      await this.#sendAsync(event)
      if (controller.signal.aborted) break
    }
    if (controller.signal.aborted) throw controller.signal.reason
    if (!terminal) throw incompleteStream()
    const outbound = turn.outbound
    Object.assign(outbound, {
      id: terminal.id,
      model: terminal.model ?? request.model,
      usage: terminal.usage ?? null,
    })
    if (terminal.usage)
      rt.log.write(requestId, 'outbound_usage', { model: outbound.model, usage: terminal.usage })
    if (typeof terminal.id === 'string' && terminal.status !== 'failed') {
      const outputItems = output.length > 0 ? output : Array.isArray(terminal.output) ? terminal.output : []
      this.#thread.hold(terminal.id, [...input, ...outputItems])
    }
  }

  /** A failed response: the upstream's own error event, else the relay's; returns the status logged. */
  #fail(error: unknown, turn: Turn): number {
    const rt = this.#rt
    const relayError = toRelayError(error, {
      shuttingDown: rt.lifecycle.draining,
      upstreamTimeoutSeconds: rt.settings.config.upstream.request_timeout_seconds,
    })
    if (!this.#closed) {
      const upstreamEvent = isUpstreamError(error) ? error.event : undefined
      const next = turn.active.lastSequence + 1
      if (upstreamEvent && typeof upstreamEvent.type === 'string') {
        this.#send({ sequence_number: next, ...upstreamEvent })
      } else {
        this.#sendError(relayError, next)
      }
    }
    Object.assign(turn.outbound, { error_code: relayError.code })
    return relayError.status
  }

  /**
   * The per-response gate: the relay token of the handshake must still be the relay's (a rotated
   * token ends the connection), then the limiter's block, concurrency slot and rate token.
   * Resolves with the slot's release.
   */
  async #admit(): Promise<() => void> {
    const rt = this.#rt
    const requireAuth = rt.settings.config.security.require_bearer_auth
    let credentialValid = true
    if (requireAuth) {
      const { token } = await rt.tokens.current()
      credentialValid = tokensMatch(this.#init.presentedToken, token)
    }
    const admission = rt.limiter.admit(this.#init.clientIp, { credentialValid })
    if (!admission.ok) throw limiterRefusal(admission.rejection)
    if (!credentialValid) {
      admission.release()
      rt.limiter.recordFailure(this.#init.clientIp)
      this.#sendError(invalidToken())
      this.close(CLOSE_POLICY, 'relay token no longer valid')
      throw invalidToken()
    }
    return admission.release
  }

  #sendError(error: RelayError, sequenceNumber = 0): void {
    this.#send(errorEvent(error, sequenceNumber))
  }

  #send(frame: unknown): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return
    const text = JSON.stringify(frame)
    const first = isObject(frame) ? frame.type : undefined
    this.#ws.send(first === 'error' ? this.#rt.secrets.scrub(text) : text)
  }

  /** Send with back-pressure: waits for the socket to drain above {@link HIGH_WATER_BYTES}. */
  #sendAsync(frame: unknown): Promise<void> | undefined {
    if (this.#ws.readyState !== this.#ws.OPEN) return undefined
    if (this.#ws.bufferedAmount < HIGH_WATER_BYTES) {
      this.#ws.send(JSON.stringify(frame))
      return undefined
    }
    return new Promise((resolve) => {
      this.#ws.send(JSON.stringify(frame), () => resolve())
    })
  }
}

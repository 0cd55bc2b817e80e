import { randomUUID } from 'node:crypto'
import { expandFileReferences } from '@airelays/file-inliner'
import { normalizeResponsesRequest } from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { isUpstreamError } from '@airelays/upstream-client'
import type { WebSocket } from 'ws'
import { invalidToken, limiterRefusal, shuttingDown, translationRejected } from '../errors/factories'
import type { RelayError } from '../errors/relay-error'
import { toRelayError } from '../errors/to-relay-error'
import { headerRecord } from '../logging/request-records'
import { BodySnapshot } from '../logging/traffic-log'
import type { InFlight, Terminable } from '../request/lifecycle'
import type { RelayRuntime } from '../runtime'
import { tokensMatch } from '../security/bearer'
import { badFrame, CLOSE_GOING_AWAY, CLOSE_POLICY, errorEvent, incompleteStream } from './frames'

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

/** The thread the connection holds: the last response's id, and its whole input and output. */
interface HeldThread {
  responseId: string
  items: unknown[]
  bytes: number
}

/** The response being generated on the connection. */
interface Active extends InFlight, Terminable {
  controller: AbortController
  lastSequence: number
}

/** Above this many bytes waiting in the socket, the next frame waits until the socket drains. */
const HIGH_WATER_BYTES = 1024 * 1024
const MISSED_PONGS_ALLOWED = 3

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function inputItems(input: unknown): unknown[] | null {
  if (input === undefined || input === null) return []
  if (typeof input === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }]
  }
  return Array.isArray(input) ? input : null
}

function byteLength(items: unknown[]): number {
  return items.length === 0 ? 0 : Buffer.byteLength(JSON.stringify(items))
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
  #thread: HeldThread | null = null
  #pending: unknown[] = []
  #active: Active | null = null
  #responses = 0
  #missedPongs = 0
  #draining = false
  #closed = false
  readonly #pinger: NodeJS.Timeout | null

  constructor(rt: RelayRuntime, ws: WebSocket, init: SessionInit) {
    this.#rt = rt
    this.#ws = ws
    this.#init = init
    this.#openedAt = rt.now()
    ws.on('message', (data, isBinary) => {
      void this.#onMessage(data, isBinary)
    })
    ws.on('pong', () => {
      this.#missedPongs = 0
    })
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')))
    ws.on('error', () => {})
    this.#pinger =
      init.keepAliveMs > 0
        ? setInterval(() => {
            if (this.#missedPongs >= MISSED_PONGS_ALLOWED) {
              ws.terminate()
              return
            }
            this.#missedPongs++
            ws.ping()
          }, init.keepAliveMs)
        : null
    this.#pinger?.unref()
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
    this.#thread = null
    this.#pending = []
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
    if (isBinary) {
      this.#sendError(badFrame('invalid_frame', 'Frames must be JSON text.'))
      return
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data as Buffer[]).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8')
    let frame: unknown
    try {
      frame = JSON.parse(text)
    } catch {
      this.#sendError(badFrame('invalid_json', 'The frame is not valid JSON.'))
      return
    }
    if (!isObject(frame) || typeof frame.type !== 'string') {
      this.#sendError(
        badFrame('invalid_frame', 'A frame must be a JSON object with a string `type`.', 'type'),
      )
      return
    }
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
    const held = (this.#thread?.bytes ?? 0) + byteLength(this.#pending) + byteLength(items)
    if (held > this.#init.maxThreadBytes) {
      this.#pending = []
      this.#sendError(this.#threadTooLarge())
      return
    }
    this.#pending.push(...items)
  }

  #threadTooLarge(): RelayError {
    return badFrame(
      'thread_too_large',
      `The thread held for this connection would exceed ${this.#init.maxThreadBytes} bytes; start a new response without previous_response_id.`,
      'input',
    )
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
    const requestId = `req_${randomUUID().replaceAll('-', '')}`
    const startedAt = rt.now()
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
    this.#active = active
    this.#responses++
    let release: (() => void) | null = null
    const outbound: JsonObject = {}
    let status = 200
    let outcome = 'completed'
    rt.requestsTotal++
    rt.log.write(requestId, 'inbound_request', () => ({
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
      const { type: _type, previous_response_id: previous, generate, ...body } = frame
      let prefix: unknown[] = []
      if (previous !== undefined && previous !== null) {
        if (typeof previous !== 'string' || this.#thread?.responseId !== previous) {
          throw badFrame(
            'previous_response_not_found',
            `Previous response with id '${String(previous)}' not found.`,
            'previous_response_id',
          )
        }
        prefix = this.#thread.items
      }
      const items = inputItems(body.input)
      if (items === null)
        throw badFrame('invalid_type', '`input` must be an array of items or a string.', 'input')
      const input = [...prefix, ...this.#pending, ...items]
      this.#pending = []
      if (byteLength(input) > this.#init.maxThreadBytes) {
        this.#thread = null
        throw this.#threadTooLarge()
      }
      if (generate === false) {
        // A warm-up: nothing is generated; the thread now starts with this input.
        const id = `resp_${randomUUID().replaceAll('-', '')}`
        const model = typeof body.model === 'string' ? body.model : null
        const response = {
          id,
          object: 'response',
          created_at: Math.floor(rt.now() / 1000),
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
        this.#thread = { responseId: id, items: input, bytes: byteLength(input) }
        Object.assign(outbound, { id, model, generate: false })
        return
      }
      const translated = normalizeResponsesRequest({ ...body, input }, { noTools: this.#init.noTools })
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
        if (
          (event.type === 'response.completed' ||
            event.type === 'response.incomplete' ||
            event.type === 'response.failed') &&
          isObject(event.response)
        ) {
          terminal = event.response
        }
        await this.#sendAsync(event)
        if (controller.signal.aborted) break
      }
      if (controller.signal.aborted) throw controller.signal.reason
      if (!terminal) throw incompleteStream()
      Object.assign(outbound, {
        id: terminal.id,
        model: terminal.model ?? request.model,
        usage: terminal.usage ?? null,
      })
      if (terminal.usage)
        rt.log.write(requestId, 'outbound_usage', { model: outbound.model, usage: terminal.usage })
      if (typeof terminal.id === 'string' && terminal.status !== 'failed') {
        const outputItems = output.length > 0 ? output : Array.isArray(terminal.output) ? terminal.output : []
        const items = [...input, ...outputItems]
        const bytes = byteLength(items)
        this.#thread = bytes <= this.#init.maxThreadBytes ? { responseId: terminal.id, items, bytes } : null
      }
    } catch (error) {
      const relayError = toRelayError(error, {
        shuttingDown: rt.lifecycle.draining,
        upstreamTimeoutSeconds: rt.settings.config.upstream.request_timeout_seconds,
      })
      status = relayError.status
      outcome = this.#closed ? 'client_disconnected' : 'failed'
      if (!this.#closed) {
        const upstreamEvent = isUpstreamError(error) ? error.event : undefined
        if (upstreamEvent && typeof upstreamEvent.type === 'string') {
          this.#send({ sequence_number: active.lastSequence + 1, ...upstreamEvent })
        } else {
          this.#sendError(relayError, active.lastSequence + 1)
        }
      }
      Object.assign(outbound, { error_code: relayError.code })
    } finally {
      release?.()
      this.#active = null
      rt.lifecycle.remove(active)
      rt.log.write(requestId, 'outbound_response', {
        status_code: status,
        duration_ms: rt.now() - startedAt,
        transport: 'websocket',
        ...(outcome === 'completed' ? {} : { outcome }),
        ...outbound,
      })
      if (this.#draining) this.close(CLOSE_GOING_AWAY, 'relay shutting down')
    }
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

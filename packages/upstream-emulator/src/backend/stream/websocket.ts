import { randomUUID } from 'node:crypto'
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import { headerRecord, toBearer } from '../../_internal/http'
import { nowSeconds } from '../../_internal/ids'
import type { Identity } from '../../accounts'
import { takeBehaviour } from '../../behaviours/queue'
import { notify, remember } from '../../recording'
import type { EmulatorState } from '../../state'
import type { RecordedRequest } from '../../types'
import { isRejection, validateResponsesBody } from '../validate'
import { type FrameSink, playFrames } from './pacer'
import { streamScript } from './script'

type Json = Record<string, unknown>

/** Where the backend serves the Responses WebSocket (the same path as `POST …/responses`). */
export const RESPONSES_SOCKET_PATH = '/backend-api/codex/responses'

/** The WebSocket side of the backend: the `upgrade` listener of the emulator's server. */
export interface ResponsesSocketServer {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function refuse(socket: Duplex, status: number, body: Json): void {
  const text = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    () => socket.destroy(),
  )
}

/** The handshake's identity (bearer + `ChatGPT-Account-ID`, as over HTTP), or the refusal. */
function identify(state: EmulatorState, req: IncomingMessage): Identity | { status: number; body: Json } {
  const token = toBearer(req.headers.authorization)
  const record = token === null ? undefined : state.issuer.tokens.access.get(token)
  if (!record || record.revoked || record.exp <= nowSeconds())
    return { status: 401, body: { detail: 'Unauthorized' } }
  const account = req.headers['chatgpt-account-id']
  const accountId = Array.isArray(account) ? account[0] : account
  if (!accountId) return { status: 400, body: { detail: 'Missing ChatGPT-Account-ID header' } }
  if (accountId !== record.identity.accountId) {
    return { status: 403, body: { detail: 'The ChatGPT-Account-ID header does not match the access token.' } }
  }
  return record.identity
}

/** The backend's WebSocket error event. */
function errorEvent(status: number, body: Json): Json {
  const error = isObject(body.error)
    ? body.error
    : { type: 'invalid_request_error', message: String(body.detail ?? '') }
  return { type: 'error', status, error }
}

/**
 * The backend's Responses WebSocket (upstream-protocol §13): `response.create` frames (the HTTP
 * body plus `previous_response_id`) answered with the same scripted events as the SSE transport,
 * one JSON text frame each, paced by the same pacer. `previous_response_id` works within the
 * connection: the emulator keeps each response's input and output in a connection-local cache, so
 * a client sends only its new items. `generate: false` is answered without output. Each
 * `response.create` is recorded (route `responses`, `transport: 'websocket'`, body = the frame).
 */
export function createResponsesSocketServer(state: EmulatorState): ResponsesSocketServer {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false })

  const serve = (ws: WebSocket, req: IncomingMessage, identity: Identity): void => {
    const threads = new Map<string, unknown[]>()
    let busy = false
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => {
      let frame: unknown
      try {
        frame = isBinary ? undefined : JSON.parse(String(data))
      } catch {
        frame = undefined
      }
      if (!isObject(frame) || frame.type !== 'response.create') {
        if (isObject(frame) && (frame.type === 'response.processed' || frame.type === 'response.append'))
          return
        ws.send(JSON.stringify(errorEvent(400, { detail: 'Expected a response.create frame.' })))
        return
      }
      if (busy) {
        ws.send(
          JSON.stringify(
            errorEvent(400, { detail: 'A response is already in progress on this connection.' }),
          ),
        )
        return
      }
      busy = true
      create(ws, req, identity, frame, threads, () => {
        busy = false
      })
    })
  }

  const create = (
    ws: WebSocket,
    req: IncomingMessage,
    identity: Identity,
    frame: Json,
    threads: Map<string, unknown[]>,
    done: () => void,
  ): void => {
    const rec = state.recording
    const record: RecordedRequest = {
      id: ++rec.sequence,
      requestId: randomUUID(),
      method: 'GET',
      path: RESPONSES_SOCKET_PATH,
      query: {},
      headers: headerRecord(req),
      body: frame,
      receivedAt: Date.now(),
      route: 'responses',
      transport: 'websocket',
    }
    rec.counters.inFlight++
    remember(state, record)
    notify(state, record)
    let settled = false
    const settle = (outcome: 'completed' | 'aborted' | 'destroyed', status: number): void => {
      if (settled) return
      settled = true
      rec.counters.inFlight--
      record.outcome = outcome
      record.status = status
      if (outcome === 'aborted') {
        rec.counters.aborted++
        record.abortedAt = Date.now()
      } else {
        if (outcome === 'completed') rec.counters.completed++
        record.completedAt = Date.now()
      }
      notify(state, record)
      done()
    }
    const fail = (status: number, body: Json): void => {
      ws.send(JSON.stringify(errorEvent(status, body)))
      settle('completed', status)
    }
    const { type: _type, previous_response_id: previous, generate, ...body } = frame
    let prefix: unknown[] = []
    if (previous !== undefined && previous !== null) {
      const held = typeof previous === 'string' ? threads.get(previous) : undefined
      if (!held) {
        fail(400, {
          error: {
            type: 'invalid_request_error',
            code: 'previous_response_not_found',
            message: `Previous response with id '${String(previous)}' not found.`,
            param: 'previous_response_id',
          },
        })
        return
      }
      prefix = held
    }
    const input = Array.isArray(body.input) ? body.input : body.input === undefined ? [] : [body.input]
    const validated = validateResponsesBody(
      { ...body, input: [...prefix, ...input] },
      state.backend.catalog.models,
    )
    if (isRejection(validated)) {
      fail(validated.status, validated.body as Json)
      return
    }
    if (generate === false) {
      const id = `resp_${randomUUID().replaceAll('-', '')}`
      const response = {
        id,
        object: 'response',
        status: 'completed',
        model: body.model,
        output: [],
        usage: null,
      }
      ws.send(
        JSON.stringify({
          type: 'response.created',
          response: { ...response, status: 'in_progress' },
          sequence_number: 0,
        }),
      )
      ws.send(JSON.stringify({ type: 'response.completed', response, sequence_number: 1 }))
      threads.set(id, validated.input)
      settle('completed', 200)
      return
    }
    const behaviour = takeBehaviour(state, 'responses', 'post')
    if (behaviour) record.behaviour = behaviour.kind
    const sessionId = req.headers['session-id'] ?? req.headers.session_id
    const script = streamScript({ state, request: validated, identity, behaviour, sessionId })
    const output = script.events
      .filter((event) => event.type === 'response.output_item.done' && isObject(event.item))
      // held server-side, so the stored-item check of a later turn does not apply to them
      .map((event) => {
        const { id: _id, ...item } = event.item as Json
        return item
      })
    const completed = script.events.find((event) => event.type === 'response.completed')
    const responseId = isObject(completed?.response) ? completed.response.id : undefined
    const streams = state.timers.streams
    let stop: (() => void) | undefined
    const release = (): void => {
      if (stop) streams.delete(stop)
    }
    const sink: FrameSink<string> = {
      get gone() {
        return ws.readyState !== ws.OPEN
      },
      send: (frames) => {
        for (const text of frames) ws.send(text)
      },
      finish: (frames) => {
        for (const text of frames) ws.send(text)
        if (typeof responseId === 'string') threads.set(responseId, [...validated.input, ...output])
        release()
        settle('completed', 200)
      },
      cut: (frames) => {
        for (const text of frames) ws.send(text)
        release()
        settle('destroyed', 200)
        ws.terminate()
      },
    }
    ws.once('close', () => {
      release()
      settle('aborted', 200)
    })
    stop = playFrames(
      sink,
      script.events.map((event) => JSON.stringify(event)),
      script.write,
    )
    if (!settled) streams.add(stop)
  }

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => {})
      const path = (req.url ?? '/').split('?')[0]
      if (path !== RESPONSES_SOCKET_PATH) {
        refuse(socket, 404, { detail: 'Not Found' })
        return
      }
      const identity = identify(state, req)
      if ('status' in identity) {
        refuse(socket, identity.status, identity.body)
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, identity))
    },
  }
}

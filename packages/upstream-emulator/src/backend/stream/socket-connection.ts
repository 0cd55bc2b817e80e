import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { RawData, WebSocket } from 'ws'
import { headerRecord } from '../../_internal/http'
import type { Identity } from '../../accounts'
import { takeBehaviour } from '../../behaviours/queue'
import { notify, remember } from '../../recording'
import type { EmulatorState } from '../../state'
import type { RecordedRequest } from '../../types'
import { isRejection, type ValidatedRequest, validateResponsesBody } from '../validate'
import { type FrameSink, playFrames } from './pacer'
import { streamScript } from './script'

type Json = Record<string, unknown>

/** Where the backend serves the Responses WebSocket (the same path as `POST …/responses`). */
export const RESPONSES_SOCKET_PATH = '/backend-api/codex/responses'

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The backend's WebSocket error event. */
function errorEvent(status: number, body: Json): Json {
  const error = isObject(body.error)
    ? body.error
    : { type: 'invalid_request_error', message: String(body.detail ?? '') }
  return { type: 'error', status, error }
}

/** One `response.create` turn as recorded: counted in flight until it settles once. */
class RecordedTurn {
  readonly record: RecordedRequest
  settled = false
  readonly #state: EmulatorState
  readonly #done: () => void

  constructor(state: EmulatorState, req: IncomingMessage, frame: Json, done: () => void) {
    this.#state = state
    this.#done = done
    const rec = state.recording
    this.record = {
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
    remember(state, this.record)
    notify(state, this.record)
  }

  settle(outcome: 'completed' | 'aborted' | 'destroyed', status: number): void {
    if (this.settled) return
    this.settled = true
    const { record } = this
    const counters = this.#state.recording.counters
    counters.inFlight--
    record.outcome = outcome
    record.status = status
    if (outcome === 'aborted') {
      counters.aborted++
      record.abortedAt = Date.now()
    } else {
      if (outcome === 'completed') counters.completed++
      record.completedAt = Date.now()
    }
    notify(this.#state, record)
    this.#done()
  }
}

/**
 * One client connection of the Responses WebSocket: one turn at a time, and a connection-local
 * cache of each response's input and output so `previous_response_id` works within it.
 */
export class ResponsesConnection {
  readonly #state: EmulatorState
  readonly #ws: WebSocket
  readonly #req: IncomingMessage
  readonly #identity: Identity
  readonly #threads = new Map<string, unknown[]>()
  #busy = false

  constructor(state: EmulatorState, ws: WebSocket, req: IncomingMessage, identity: Identity) {
    this.#state = state
    this.#ws = ws
    this.#req = req
    this.#identity = identity
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
  }

  #send(event: Json): void {
    this.#ws.send(JSON.stringify(event))
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    let frame: unknown
    try {
      frame = isBinary ? undefined : JSON.parse(String(data))
    } catch {
      frame = undefined
    }
    if (!isObject(frame) || frame.type !== 'response.create') {
      if (isObject(frame) && (frame.type === 'response.processed' || frame.type === 'response.append')) return
      this.#send(errorEvent(400, { detail: 'Expected a response.create frame.' }))
      return
    }
    if (this.#busy) {
      this.#send(errorEvent(400, { detail: 'A response is already in progress on this connection.' }))
      return
    }
    this.#busy = true
    this.#create(frame)
  }

  #create(frame: Json): void {
    const turn = new RecordedTurn(this.#state, this.#req, frame, () => {
      this.#busy = false
    })
    const fail = (status: number, body: Json): void => {
      this.#send(errorEvent(status, body))
      turn.settle('completed', status)
    }
    const { type: _type, previous_response_id: previous, generate, ...body } = frame
    let prefix: unknown[] = []
    if (previous !== undefined && previous !== null) {
      const held = typeof previous === 'string' ? this.#threads.get(previous) : undefined
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
      this.#state.backend.catalog.models,
    )
    if (isRejection(validated)) {
      fail(validated.status, validated.body as Json)
      return
    }
    if (generate === false) this.#answerWithoutOutput(turn, validated, body.model)
    else this.#stream(turn, validated)
  }

  /** `generate: false`: created and completed with no output; the input is kept for the next turn. */
  #answerWithoutOutput(turn: RecordedTurn, validated: ValidatedRequest, model: unknown): void {
    const id = `resp_${randomUUID().replaceAll('-', '')}`
    const response = { id, object: 'response', status: 'completed', model, output: [], usage: null }
    this.#send({
      type: 'response.created',
      response: { ...response, status: 'in_progress' },
      sequence_number: 0,
    })
    this.#send({ type: 'response.completed', response, sequence_number: 1 })
    this.#threads.set(id, validated.input)
    turn.settle('completed', 200)
  }

  /** The scripted events, one text frame each, paced like the SSE transport. */
  #stream(turn: RecordedTurn, validated: ValidatedRequest): void {
    const state = this.#state
    const ws = this.#ws
    const behaviour = takeBehaviour(state, 'responses', 'post')
    if (behaviour) turn.record.behaviour = behaviour.kind
    const sessionId = this.#req.headers['session-id'] ?? this.#req.headers.session_id
    const script = streamScript({ state, request: validated, identity: this.#identity, behaviour, sessionId })
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
        if (typeof responseId === 'string') this.#threads.set(responseId, [...validated.input, ...output])
        release()
        turn.settle('completed', 200)
      },
      cut: (frames) => {
        for (const text of frames) ws.send(text)
        release()
        turn.settle('destroyed', 200)
        ws.terminate()
      },
    }
    ws.once('close', () => {
      release()
      turn.settle('aborted', 200)
    })
    stop = playFrames(
      sink,
      script.events.map((event) => JSON.stringify(event)),
      script.write,
    )
    if (!turn.settled) streams.add(stop)
  }
}

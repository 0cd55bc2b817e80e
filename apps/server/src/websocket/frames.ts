import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { RelayErrorCode } from '../errors/codes'
import { relayError } from '../errors/factories'
import type { RelayError } from '../errors/relay-error'

/** Close codes the relay uses (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000
/** The relay is shutting down. */
export const CLOSE_GOING_AWAY = 1001
/** The relay token stopped matching (rotated) or a frame broke the protocol. */
export const CLOSE_POLICY = 1008

/**
 * The Responses API's `error` event for a relay error, as the WebSocket carries it: the standard
 * streaming fields (`code`, `message`, `param`, `sequence_number`) plus the HTTP `status` and the
 * envelope's `error` object, which is what Codex reads from a WebSocket error event.
 */
export function errorEvent(error: RelayError, sequenceNumber: number): Record<string, unknown> {
  const envelope = error.toJSON().error
  return {
    type: 'error',
    status: error.status,
    code: envelope.code,
    message: envelope.message,
    param: envelope.param,
    error: envelope,
    sequence_number: sequenceNumber,
  }
}

/** A client text frame: its JSON object (with a string `type`) and its text. */
export interface ClientFrame {
  frame: Record<string, unknown> & { type: string }
  text: string
}

/** Decodes a client frame; a binary frame, invalid JSON or a frame without a string `type` is an error. */
export function readFrame(data: unknown, isBinary: boolean): ClientFrame | RelayError {
  if (isBinary) return badFrame('invalid_frame', 'Frames must be JSON text.')
  const text = Buffer.isBuffer(data)
    ? data.toString('utf8')
    : Array.isArray(data)
      ? Buffer.concat(data as Buffer[]).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8')
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return badFrame('invalid_json', 'The frame is not valid JSON.')
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return notTyped()
  const typed = frame as Record<string, unknown>
  if (typeof typed.type !== 'string') return notTyped()
  return { frame: typed as ClientFrame['frame'], text }
}

function notTyped(): RelayError {
  return badFrame('invalid_frame', 'A frame must be a JSON object with a string `type`.', 'type')
}

const MISSED_PONGS_ALLOWED = 3

/** Pings every `intervalMs`; a peer that misses three pongs in a row is cut. Returns the (unref'd) timer. */
export function keepAlive(ws: WebSocket, intervalMs: number): NodeJS.Timeout {
  let missed = 0
  ws.on('pong', () => {
    missed = 0
  })
  const timer = setInterval(() => {
    if (missed >= MISSED_PONGS_ALLOWED) {
      ws.terminate()
      return
    }
    missed++
    ws.ping()
  }, intervalMs)
  timer.unref()
  return timer
}

/** 426: the relay will not upgrade this request; the client should use HTTP. */
export function upgradeRefused(reason: string): RelayError {
  return relayError({
    status: 426,
    type: 'invalid_request_error',
    code: 'websocket_unavailable',
    message: `${reason} Use HTTP: POST /v1/responses.`,
  })
}

/** A client frame the relay cannot take (not JSON, unknown type, out of order). */
export function badFrame(code: RelayErrorCode, message: string, param: string | null = null): RelayError {
  return relayError({ status: 400, type: 'invalid_request_error', code, param, message })
}

/** 502: the upstream stream ended before its terminal event. */
export function incompleteStream(): RelayError {
  return relayError({
    status: 502,
    type: 'server_error',
    code: 'incomplete_stream',
    message: 'Upstream stream ended before response.completed.',
  })
}

/**
 * Answer an upgrade request with a plain HTTP error (the envelope, `x-request-id`, then close):
 * the handshake never reached the WebSocket, so this is what the client sees instead.
 */
export function writeHttpError(socket: Duplex, requestId: string, error: RelayError, body: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const lines = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
    'connection: close',
  ]
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy())
}

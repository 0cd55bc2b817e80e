import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { toBearer } from '../../_internal/http'
import { nowSeconds } from '../../_internal/ids'
import type { Identity } from '../../accounts'
import type { EmulatorState } from '../../state'
import { RESPONSES_SOCKET_PATH, ResponsesConnection } from './socket-connection'

export { RESPONSES_SOCKET_PATH } from './socket-connection'

type Json = Record<string, unknown>

/** The WebSocket side of the backend: the `upgrade` listener of the emulator's server. */
export interface ResponsesSocketServer {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
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
      wss.handleUpgrade(req, socket, head, (ws) => {
        new ResponsesConnection(state, ws, req, identity)
      })
    },
  }
}

import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type ForwardedForOptions, forwardedClientAddress } from '@airelays/ratelimit'
import type { WebSocketServer } from 'ws'
import { shuttingDown } from '../errors/factories'
import type { RelayError } from '../errors/relay-error'
import { toRelayError } from '../errors/to-relay-error'
import { headerRecord } from '../logging/request-records'
import type { RelayRuntime } from '../runtime'
import { bearerFromHeader } from '../security/bearer'
import { createSecurityGate, type GatedRequest } from '../security/gate'
import { upgradeRefused, writeHttpError } from './frames'
import { ResponsesSession } from './session'

/** The paths that take a Responses WebSocket. */
const SOCKET_PATHS: ReadonlyMap<string, { noTools: boolean }> = new Map([
  ['/v1/responses', { noTools: false }],
  ['/v1/responses/', { noTools: false }],
  ['/no-tools/v1/responses', { noTools: true }],
  ['/no-tools/v1/responses/', { noTools: true }],
])

/** The WebSocket side of `serveRelay`: upgrades, the open connections, and their shutdown. */
export interface WebSocketGateway {
  /** The `upgrade` listener of the Node server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Open connections (for shutdown and tests). */
  readonly size: number
  /** Shutdown begins: idle connections close with 1001 now, busy ones once their response ends. */
  drain(): void
  /** Cut whatever is still open (after the flush window). */
  terminateAll(): void
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    headers.append(request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string)
  }
  return headers
}

/**
 * The socket peer; when X-Forwarded-For is trusted, the entry read from the right past the trusted
 * proxies (as for HTTP requests in `request/core.ts`).
 */
function clientIpOf(
  request: IncomingMessage,
  headers: Headers,
  forwardedFor: ForwardedForOptions | null,
): string {
  const peer = request.socket.remoteAddress || 'unknown'
  if (forwardedFor === null) return peer
  return forwardedClientAddress(peer, headers.get('x-forwarded-for'), forwardedFor)
}

/**
 * The Responses WebSocket of `/v1/responses` and `/no-tools/v1/responses` (see `session.ts` for
 * the protocol). The handshake passes the same security gate as HTTP (browser checks, IP block,
 * concurrency, rate, relay token); the connection then holds no slot until a `response.create`
 * takes one. A refused upgrade (WebSocket off in the config, another path, no `Upgrade:
 * websocket`) gets 426 with the reason, so clients fall back to HTTP at once.
 */
export function createWebSocketGateway(rt: RelayRuntime): WebSocketGateway {
  const gate = createSecurityGate(rt)
  const sessions = new Set<ResponsesSession>()
  // `ws` is loaded on the first upgrade that passes the gate, not at start-up: it is CommonJS and
  // pulls Node's CJS lexer, tls, https and zlib into every relay (about 3 MB of RSS at idle;
  // bench/findings.md, "Memory at idle and per stream").
  let server: Promise<WebSocketServer> | null = null
  const socketServer = (): Promise<WebSocketServer> => {
    server ??= import('ws').then(
      ({ WebSocketServer }) =>
        new WebSocketServer({
          noServer: true,
          clientTracking: false,
          perMessageDeflate: false,
          maxPayload: rt.settings.maxJsonBodyBytes,
        }),
    )
    return server
  }
  let draining = false

  const refuse = (socket: Duplex, id: string, request: IncomingMessage, error: RelayError): void => {
    const body = rt.secrets.scrub(JSON.stringify(error.toJSON()))
    rt.log.write(id, 'websocket_refused', {
      path: (request.url ?? '').split('?')[0],
      client_ip: request.socket.remoteAddress ?? null,
      status_code: error.status,
      code: error.code,
    })
    writeHttpError(socket, id, error, body)
  }

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const id = `req_${randomUUID().replaceAll('-', '')}`
    const path = (request.url ?? '/').split(/[?#]/)[0] ?? '/'
    const target = SOCKET_PATHS.get(path)
    if (draining || rt.lifecycle.draining) return refuse(socket, id, request, shuttingDown())
    if (!rt.settings.config.server.websockets) {
      return refuse(
        socket,
        id,
        request,
        upgradeRefused('WebSocket is turned off on this relay (server.websockets = false).'),
      )
    }
    if (!target) return refuse(socket, id, request, upgradeRefused(`No WebSocket is served on ${path}.`))
    if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket' || request.method !== 'GET') {
      return refuse(socket, id, request, upgradeRefused('Only a WebSocket upgrade (GET) is served here.'))
    }
    const headers = headersOf(request)
    const clientIp = clientIpOf(request, headers, rt.forwardedFor)
    let release: (() => void) | null = null
    const gated: GatedRequest = {
      id,
      logged: true,
      method: 'GET',
      path,
      fullPath: path,
      clientIp,
      holdSlot: (slot) => {
        release = slot
      },
      event: { req: { headers } },
    }
    try {
      await gate(gated)
    } catch (error) {
      return refuse(socket, id, request, toRelayError(error))
    }
    // An open connection holds no concurrency slot; each response.create takes its own.
    ;(release as (() => void) | null)?.()
    const wss = await socketServer()
    if (socket.destroyed || draining) {
      socket.destroy()
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      rt.log.write(id, 'websocket_opened', {
        path,
        client_ip: clientIp,
        headers: headerRecord(headers),
      })
      const session = new ResponsesSession(rt, ws, {
        id,
        path,
        noTools: target.noTools,
        clientIp,
        headers,
        presentedToken: bearerFromHeader(headers.get('authorization')),
        maxThreadBytes: rt.settings.maxJsonBodyBytes,
        keepAliveMs: rt.settings.keepAliveMs,
      })
      sessions.add(session)
      ws.once('close', () => sessions.delete(session))
      if (draining) session.drain()
    })
  }

  return {
    handleUpgrade(request, socket, head) {
      socket.on('error', () => {})
      upgrade(request, socket, head).catch((error: unknown) => {
        rt.logger.error(`AIRelays WebSocket upgrade failed: ${String(error)}`)
        socket.destroy()
      })
    },
    get size() {
      return sessions.size
    },
    drain() {
      draining = true
      for (const session of [...sessions]) session.drain()
    },
    terminateAll() {
      for (const session of [...sessions]) session.terminate()
      sessions.clear()
    },
  }
}

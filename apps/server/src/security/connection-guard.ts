import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { isLoopback } from '@airelays/ratelimit'

/** Options of {@link guardConnections}. */
export interface ConnectionGuardOptions {
  /** Open connections at once (`[server] max_connections`). */
  maxConnections: number
  /** Open connections of one client at once (loopback addresses are one client). @default half of `maxConnections` */
  maxPerClient?: number
}

interface Tracked {
  readonly client: string
  /** Requests in progress on the socket (headers received, answer not finished). */
  busy: number
}

/** The client a socket belongs to: every loopback address is one client, as in the limiter. */
function clientOf(socket: Socket): string {
  const address = socket.remoteAddress ?? ''
  return isLoopback(address) ? 'loopback' : address
}

/**
 * Caps the open connections of a Node server without letting a flood of idle ones lock out valid
 * clients (issue 26, item 6). A connection is idle while no request is in progress on it: it has
 * not finished sending request headers yet (half-open, slowloris) or waits between keep-alive
 * requests. A new connection past a cap — one client's (`maxPerClient`) or everyone's
 * (`maxConnections`) — evicts the oldest idle connection under that cap; only when every
 * connection there is busy is the new one closed. A valid client's request therefore always finds
 * room while the flood is idle, and the open sockets never exceed `maxConnections`.
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  const max = Math.max(1, options.maxConnections)
  const perClient = Math.max(1, Math.min(max, options.maxPerClient ?? Math.ceil(max / 2)))
  // Insertion order: the oldest connection first.
  const open = new Map<Socket, Tracked>()
  const perClientCount = new Map<string, number>()

  const evictIdle = (client: string | null): boolean => {
    for (const [socket, tracked] of open) {
      if (tracked.busy > 0 || (client !== null && tracked.client !== client)) continue
      forget(socket)
      socket.destroy()
      return true
    }
    return false
  }
  const forget = (socket: Socket): void => {
    const tracked = open.get(socket)
    if (!tracked) return
    open.delete(socket)
    const left = (perClientCount.get(tracked.client) ?? 1) - 1
    if (left > 0) perClientCount.set(tracked.client, left)
    else perClientCount.delete(tracked.client)
  }

  server.on('connection', (socket: Socket) => {
    const client = clientOf(socket)
    const roomForClient = (perClientCount.get(client) ?? 0) < perClient || evictIdle(client)
    const room = roomForClient && (open.size < max || evictIdle(null))
    if (!room) {
      socket.destroy()
      return
    }
    open.set(socket, { client, busy: 0 })
    perClientCount.set(client, (perClientCount.get(client) ?? 0) + 1)
    socket.once('close', () => forget(socket))
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const tracked = open.get(req.socket as Socket)
    if (!tracked) return
    tracked.busy++
    res.once('close', () => {
      tracked.busy--
    })
  })
  // An upgraded socket (the Responses WebSocket) stays busy until it closes.
  server.on('upgrade', (req: IncomingMessage) => {
    const tracked = open.get(req.socket as Socket)
    if (tracked) tracked.busy++
  })
}

// The browser login's loopback callback server: binding 127.0.0.1 (and ::1 when available) with the
// busy-port dance (ask the previous login to /cancel, retry, fall back to the second port), and the
// small pages it answers with.
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
  get as httpGet,
} from 'node:http'
import { UpstreamError } from '../../errors'

/** Handles every request of the callback server. */
export type CallbackHandler = (req: IncomingMessage, res: ServerResponse) => void

/** The bound callback server(s). */
export interface BoundServers {
  port: number
  close(): Promise<void>
}

/** Where to bind. */
export interface CallbackBinding {
  /** Preferred port; 0 picks any free port. */
  port: number
  /** Tried when `port` stays busy; `null` disables. */
  fallbackPort: number | null
  handler: CallbackHandler
}

/** A page answering a callback request. */
export interface CallbackPage {
  status: number
  /** `null` answers with plain text. */
  title: string | null
  body: string
}

const BUSY_RETRIES = 5
const BUSY_RETRY_DELAY_MS = 200

function portBusyMessage(port: number): string {
  return `AIRelays could not bind localhost:${port} for browser login. Another login flow may already be using that port. Retry later or use \`airelays login --device\`.`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/**
 * Write a small page that ends the exchange (`Connection: close`, never cached, no referrer);
 * `then` runs once the response is written or the connection closed.
 */
export function sendPage(res: ServerResponse, page: CallbackPage, then?: () => void): void {
  let called = false
  const done = (): void => {
    if (called) return
    called = true
    then?.()
  }
  if (res.headersSent || res.destroyed) {
    done()
    return
  }
  res.once('close', done)
  const headers = {
    connection: 'close',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  }
  if (page.title === null) {
    res.writeHead(page.status, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
    res.end(page.body, done)
    return
  }
  const title = escapeHtml(page.title)
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>AIRelays - ${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(page.body)}</p></body></html>`
  res.writeHead(page.status, { ...headers, 'content-type': 'text/html; charset=utf-8' })
  res.end(html, done)
}

/** Bind the callback server; rejects with `login_port_unavailable` when no port can be bound. */
export async function bindCallbackServers(binding: CallbackBinding): Promise<BoundServers> {
  const { port, fallbackPort, handler } = binding
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`Invalid callback port: ${port}`)
  let bound = await tryBind(port, handler)
  if (!bound && port !== 0) {
    // Like Codex: ask a previous login server on that port to stop, then retry a few times.
    await requestCancel(port)
    for (let i = 0; i < BUSY_RETRIES && !bound; i++) {
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_DELAY_MS))
      bound = await tryBind(port, handler)
    }
  }
  if (!bound && fallbackPort !== null && fallbackPort !== port) {
    bound = await tryBind(fallbackPort, handler)
  }
  if (!bound) {
    throw new UpstreamError({ code: 'login_port_unavailable', message: portBusyMessage(port), status: 503 })
  }
  return bound
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ port, host, exclusive: true })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections()
      resolve()
      return
    }
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Bind 127.0.0.1:port (required) and [::1]:samePort (optional); null when the port is busy. */
async function tryBind(port: number, handler: CallbackHandler): Promise<BoundServers | null> {
  const v4 = createServer(handler)
  v4.keepAliveTimeout = 1000
  try {
    await listen(v4, port, '127.0.0.1')
  } catch (error) {
    await closeServer(v4)
    if (
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
      (error as NodeJS.ErrnoException).code === 'EACCES'
    ) {
      return null
    }
    throw error
  }
  const address = v4.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  const servers: Server[] = [v4]
  const v6 = createServer(handler)
  v6.keepAliveTimeout = 1000
  try {
    await listen(v6, actualPort, '::1')
    servers.push(v6)
  } catch {
    // No IPv6 loopback here (or the port is taken on ::1): 127.0.0.1 is enough.
    await closeServer(v6)
  }
  return {
    port: actualPort,
    close: async () => {
      await Promise.all(servers.map(closeServer))
    },
  }
}

/** Best-effort `GET http://127.0.0.1:{port}/cancel` (never through a proxy), 1 s timeout. */
function requestCancel(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/cancel', timeout: 1000, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve())
      res.on('error', () => resolve())
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve())
    req.on('close', () => resolve())
  })
}

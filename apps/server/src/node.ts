import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { toNodeHandler } from 'h3'
import { type BuiltRelay, buildRelay } from './app'
import { shuttingDown } from './errors/factories'
import type { ServeRelayOptions } from './options'
import { createIdleCollector, gcOnFirstUse } from './request/idle-collector'
import { randomId } from './request/ids'
import { judgeBind } from './security/bind-address'
import { guardConnections } from './security/connection-guard'
import { createWebSocketGateway } from './websocket/gateway'

/** A listening relay. */
export interface RelayServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (clients use `${url}/v1`). */
  readonly url: string
  /** The underlying `node:http` server. */
  readonly server: Server
  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish within the grace period,
   * then end open streams with an in-band error event (no `[DONE]`), abort their upstream calls,
   * close the remaining sockets and flush the traffic log. Idempotent; `close({ force: true })`
   * skips the grace period.
   */
  close(options?: { force?: boolean }): Promise<void>
}

const DEFAULT_GRACE_MS = 10_000
/** Node's own defaults for receiving a request (reference B7): the whole request, and its headers. */
const DEFAULT_REQUEST_TIMEOUT_MS = 300_000
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000
/** Node checks its request timers every `connectionsCheckingInterval` ms (default 30 s). */
const MAX_CHECK_INTERVAL_MS = 1_000
const MIN_CHECK_INTERVAL_MS = 10
/** After the deadline, how long aborted streams get to write their error event before sockets are cut. */
const FINAL_FLUSH_MS = 1_000
/** Default of `[server] max_connections`. */
const DEFAULT_MAX_CONNECTIONS = 512
/**
 * What is still read of a body nobody wanted once its answer has gone (a 401, 404 or 413 sent
 * before the body): at most this many bytes and this long, then the connection is closed. Node
 * itself would drain it for as long as the client sends (up to the 300 s request timeout).
 */
const UNREAD_BODY_DISCARD_BYTES = 8 * 1024 * 1024
const UNREAD_BODY_DISCARD_MS = 5_000

/** How often the discard of an unread body is checked, in ms. */
const UNREAD_BODY_CHECK_MS = 5

/**
 * Bounds the discard of a request body left unread when its response finished (issue 26, item 6):
 * Node dumps the rest to keep the connection alive, for as long as the client sends. Here the
 * socket's received bytes are watched instead (the dumped bytes never reach JavaScript): past
 * {@link UNREAD_BODY_DISCARD_BYTES} or {@link UNREAD_BODY_DISCARD_MS} the socket is destroyed.
 * Reading a little first lets the client receive the answer before the connection goes (closing
 * with unread data makes the kernel reset it, which can lose the answer).
 */
function boundUnreadBody(req: IncomingMessage): void {
  const socket = req.socket
  if (req.complete || req.destroyed || !socket || socket.destroyed) return
  const start = socket.bytesRead
  const deadline = Date.now() + UNREAD_BODY_DISCARD_MS
  const timer = setInterval(() => {
    if (req.complete) {
      clearInterval(timer)
      return
    }
    if (socket.bytesRead - start > UNREAD_BODY_DISCARD_BYTES || Date.now() > deadline) {
      clearInterval(timer)
      socket.destroy()
    }
  }, UNREAD_BODY_CHECK_MS)
  timer.unref()
  socket.once('close', () => clearInterval(timer))
}

/**
 * Requests Node's HTTP parser refuses (not HTTP, bad headers, too large headers) never reach the
 * app; answer them with the same envelope and an `x-request-id`, then close the connection.
 */
function answerClientError(
  runtime: BuiltRelay['runtime'],
  error: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
    socket.destroy()
    return
  }
  const timedOut = error.code === 'HPE_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const [status, text, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'request_header_too_large',
          'Request header fields are too large.',
        ]
      : timedOut
        ? [408, 'Request Timeout', 'request_timeout', 'The request was not received in time.']
        : [400, 'Bad Request', 'invalid_http', 'The request is not valid HTTP.']
  const id = randomId('req')
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } })
  runtime.log.write(id, 'endpoint_rejected', {
    reason: timedOut ? 'request_timeout' : 'malformed_http',
    code: error.code ?? null,
    status_code: status,
  })
  // Once the answer is written the connection is done: a request the app is still reading (a
  // stalled body) sees its socket close, gives up and frees its concurrency slot.
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  )
}

/** A timeout option: a finite number of ms >= 0, else a TypeError naming the option. */
function timeoutOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`serveRelay: \`${name}\` must be a number of milliseconds >= 0 (0 disables it).`)
  }
  return Math.floor(value)
}

/**
 * Node's request timers: `requestTimeout` covers receiving the whole request, `headersTimeout`
 * its headers (Node requires it to be at most `requestTimeout`). Neither limits the response, so
 * long streams are unaffected. The timers are checked every `connectionsCheckingInterval` ms,
 * kept at a quarter of the shorter timeout (10 ms to 1 s) so a stalled client is cut close to it.
 */
function requestTimers(options: ServeRelayOptions): {
  requestTimeout: number
  headersTimeout: number
  connectionsCheckingInterval: number
} {
  const requestTimeout = timeoutOption(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT_MS,
  )
  let headersTimeout = timeoutOption('headersTimeoutMs', options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS)
  if (requestTimeout > 0 && (headersTimeout === 0 || headersTimeout > requestTimeout))
    headersTimeout = requestTimeout
  const shortest = Math.min(
    ...[requestTimeout, headersTimeout].filter((ms) => ms > 0),
    Number.POSITIVE_INFINITY,
  )
  const connectionsCheckingInterval = Number.isFinite(shortest)
    ? Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, Math.floor(shortest / 4)))
    : MAX_CHECK_INTERVAL_MS
  return { requestTimeout, headersTimeout, connectionsCheckingInterval }
}

function formatUrl(address: AddressInfo): string {
  const host =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * Listen with the relay (default `config.server.host`:`config.server.port`, i.e. 127.0.0.1:8080;
 * port 0 picks a free port). Resolves once listening.
 *
 * @example
 * const relay = await serveRelay({ config, port: 0 })
 * console.log(`${relay.url}/v1`)
 * await relay.close()
 */
export async function serveRelay(options: ServeRelayOptions): Promise<RelayServer> {
  const timers = requestTimers(options)
  // The bind host is judged once (security/bind-address.ts): the relay listens on the address it
  // resolved to and its Host check follows that judgement.
  const bind = await judgeBind(options.host ?? options.config.server.host, options.lookupHost)
  const host = bind.address
  const port = options.port ?? options.config.server.port
  const config =
    host === options.config.server.host
      ? options.config
      : { ...options.config, server: { ...options.config.server, host } }
  const built = buildRelay({ ...options, config }, { nodeResponses: true, bind: Promise.resolve(bind) })
  const { runtime } = built
  // One full GC ten seconds after the last request of a burst (bench/findings.md item 15); the
  // means of collecting is obtained then, not at start.
  const collector = createIdleCollector({ gc: gcOnFirstUse() })
  runtime.lifecycle.observe(collector)
  const graceMs = options.shutdownGraceMs ?? DEFAULT_GRACE_MS
  // requireHostHeader is checked by the relay itself, so that answer carries the envelope too.
  const handler = toNodeHandler(built.app)
  const server = createServer({ ...timers, requireHostHeader: false }, (req, res) => {
    res.once('finish', () => boundUnreadBody(req))
    return handler(req, res)
  })
  // At most max_connections open, half of them per client; a new connection evicts the oldest
  // idle one rather than being locked out by a flood of idle sockets (issue 26, item 6).
  guardConnections(server, {
    maxConnections: options.config.server.max_connections ?? DEFAULT_MAX_CONNECTIONS,
  })
  // The Responses WebSocket (websocket/): every upgrade is answered here, 101 or an error/426.
  const sockets = createWebSocketGateway(runtime)
  server.on('upgrade', (request, socket: Duplex, head: Buffer) =>
    sockets.handleUpgrade(request, socket, head),
  )
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(runtime, error, socket),
  )

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  }).catch(async (error: unknown) => {
    await built.close()
    throw error
  })

  const address = server.address() as AddressInfo
  const url = formatUrl(address)
  let closing: Promise<void> | null = null
  let forceNow: (() => void) | null = null

  const shutdown = async (force: boolean): Promise<void> => {
    runtime.lifecycle.observe(null)
    collector.close()
    runtime.lifecycle.beginDrain()
    sockets.drain()
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    if (!force) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        runtime.lifecycle.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs)
          forceNow = resolve
        }),
      ])
      if (timer) clearTimeout(timer)
    }
    forceNow = null
    runtime.lifecycle.terminateAll(shuttingDown())
    // Let the last responses and the terminated streams reach their clients: connections close
    // once idle; whatever is still open after the final flush window is cut.
    let flushTimer: NodeJS.Timeout | undefined
    const sweep = setInterval(() => server.closeIdleConnections(), 25)
    server.closeIdleConnections()
    await Promise.race([
      listenerClosed,
      new Promise<void>((resolve) => {
        flushTimer = setTimeout(resolve, force ? 100 : FINAL_FLUSH_MS)
      }),
    ])
    clearInterval(sweep)
    if (flushTimer) clearTimeout(flushTimer)
    server.closeAllConnections()
    sockets.terminateAll()
    await listenerClosed
    await built.close()
    detachSignals()
  }

  const close = (closeOptions: { force?: boolean } = {}): Promise<void> => {
    if (closing) {
      if (closeOptions.force) forceNow?.()
      return closing
    }
    closing = shutdown(closeOptions.force === true)
    return closing
  }

  const onSignal = (): void => {
    if (closing) {
      forceNow?.()
      return
    }
    void close().catch((error: unknown) => {
      runtime.logger.error(
        `AIRelays shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
      )
    })
  }
  const detachSignals = (): void => {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
  if (options.handleSignals) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }

  return { url, server, close }
}

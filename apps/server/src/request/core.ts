import { randomUUID } from 'node:crypto'
import { forwardedClientAddress } from '@airelays/ratelimit'
import { type H3, type H3Event, toResponse } from 'h3'
import { malformedPath, missingHost, notFound, shuttingDown } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import { createSecurityGate, type SecurityGate } from '../security/gate'
import { RelayRequest } from './relay-request'

/** Paths that are never logged nor counted (polled by dashboards and health checks). */
const MONITORING_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/v1/relay/status',
  '/v1/relay/accounts/refresh',
  '/v1/subscription/status',
  '/v1/account/rate_limits',
  '/no-tools/v1/relay/status',
  '/no-tools/v1/relay/accounts/refresh',
  '/no-tools/v1/subscription/status',
  '/no-tools/v1/account/rate_limits',
])
/**
 * Prefixes of the dashboard's assets and APIs: not logged nor counted either (their changes write
 * their own records: `account_signed_in`, `account_signed_out`, `logging_settings` …).
 */
const MONITORING_PREFIXES: readonly string[] = [
  '/dashboard/',
  ...['/v1', '/no-tools/v1'].flatMap((p) => [
    `${p}/relay/traffic`,
    `${p}/relay/accounts`,
    `${p}/relay/logging`,
    `${p}/relay/token`,
  ]),
]
const NOT_FOUND = Symbol.for('h3.notFound')
const kRequest = 'airelays'

/** The relay's middleware: what h3 calls for every request before the routes. */
export type RelayMiddleware = (event: H3Event, next: () => unknown) => unknown

/** The {@link RelayRequest} of `event`; throws when the relay core did not run. */
export function requestOf(event: H3Event): RelayRequest {
  const req = (event.context as Record<string, unknown>)[kRequest] as RelayRequest | undefined
  if (!req) throw new Error('AIRelays request state missing: the relay core middleware did not run.')
  return req
}

/** True when the relay core answers `event` (false for a host's own request, see `ownsRequest`). */
export function answeredByRelay(event: H3Event): boolean {
  return (event.context as Record<string, unknown>)[kRequest] !== undefined
}

/** h3's "no route matched" value: the host answers with its own 404. */
export const HOST_NOT_FOUND: symbol = NOT_FOUND

/** The relay path of `event` (before any route rewrote it). */
export function relayPathOf(event: H3Event): string {
  const req = (event.context as Record<string, unknown>)[kRequest] as RelayRequest | undefined
  return req?.path ?? event.url.pathname
}

/** The only paths answered without the security gate: the dashboard shell and assets, the health check. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  '/',
  '/healthz',
  // The dashboard's script and style sheet: the same for everyone, no data in them.
  '/dashboard/app.js',
  '/dashboard/app.css',
])

/** Paths the relay serves wherever it is mounted: its page, its health check and the APIs. */
function isRelayPath(path: string): boolean {
  return path === '/' || trimSlash(path) === '/healthz' || isApiPath(path)
}

/**
 * Whether the relay answers `event` (request id, log, error envelope) or leaves it to a host app.
 * The relay owns every request when it is the app that received it (`serveRelay`, `app.fetch`,
 * a Nitro server entry) or when it is mounted under a prefix (the prefix is its own). Mounted at a
 * host's root (`host.mount('/', relay)`) it owns only its own paths, so the host's routes, 404s,
 * 405s and errors stay the host's and never reach the relay's log.
 */
function ownsRequest(event: H3Event, app: H3): boolean {
  if (event.app === undefined || event.app === app) return true
  const path = event.url.pathname
  return isRelayPath(path) || originalPath(event) !== path
}

function isApiPath(path: string): boolean {
  return (
    path === '/v1' ||
    path.startsWith('/v1/') ||
    path === '/no-tools/v1' ||
    path.startsWith('/no-tools/v1/') ||
    path.startsWith('/api/')
  )
}

function isMonitoringPath(path: string): boolean {
  return MONITORING_PATHS.has(path) || MONITORING_PREFIXES.some((prefix) => path.startsWith(prefix))
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/** The request object of `event`, registered as in flight. */
function openRequest(rt: RelayRuntime, event: H3Event): RelayRequest {
  const path = event.url.pathname
  const fullPath = originalPath(event)
  const basePath = fullPath.endsWith(path)
    ? fullPath.slice(0, fullPath.length - path.length)
    : path === '/' && fullPath.startsWith('/')
      ? fullPath
      : ''
  const id = requestIdFor(event.req.headers.get('x-request-id'))
  const req = new RelayRequest({
    event,
    runtime: rt,
    id,
    path,
    basePath,
    // An unknown address is this request's own bucket: one client's bad tokens never block others.
    clientIp: clientIp(event, rt) ?? `unknown:${id}`,
    logged: !isMonitoringPath(trimSlash(path)),
  })
  ;(event.context as Record<string, unknown>)[kRequest] = req
  rt.lifecycle.add(req)
  return req
}

/**
 * The checks before any route: draining, Host, a decodable path, and the security gate — in front
 * of every path but the public pages, so an unknown path is not a way around it (issue 26, item 1).
 */
async function admit(rt: RelayRuntime, gate: SecurityGate, req: RelayRequest): Promise<void> {
  if (rt.lifecycle.draining) throw shuttingDown()
  if (lacksHost(req.event)) throw missingHost()
  if (isMalformed(req.path)) throw malformedPath()
  if (!PUBLIC_PATHS.has(trimSlash(req.path))) await gate(req)
}

/**
 * The first middleware: opens the {@link RelayRequest} (id, client IP, in-flight set), runs the
 * checks and the security gate, calls the route, turns whatever it threw into the error
 * envelope, adds `x-request-id` (and the request's own headers) to every response, and tells the
 * request it was answered (it finishes then, or when its streamed body ends).
 */
export function relayCore(rt: RelayRuntime, app: H3): RelayMiddleware {
  const gate = createSecurityGate(rt)
  return (event, next) => (ownsRequest(event, app) ? answer(rt, gate, event, next) : next())
}

async function answer(
  rt: RelayRuntime,
  gate: SecurityGate,
  event: H3Event,
  next: () => unknown,
): Promise<Response> {
  const req = openRequest(rt, event)
  const stopWatching = watchClient(event, req)
  let admitted = false
  let response: Response
  try {
    await admit(rt, gate, req)
    admitted = true
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') req.logInbound(null)
    const value = await next()
    if (value === NOT_FOUND || value === undefined) throw notFound(req.method, req.path)
    if (value instanceof Error) throw value
    response = value instanceof Response ? value : await toResponse(value, event)
  } catch (error) {
    if (admitted) req.logInbound(null)
    response = req.fail(error)
  }
  if (req.method === 'HEAD') response = withoutBody(response)
  const headers = response.headers
  for (const [name, value] of Object.entries(req.responseHeaders())) headers.set(name, value)
  stopWatching()
  req.answered(response.status)
  return response
}

/** The answer to a `HEAD` request: the `GET` answer's status and headers, without its body. */
function withoutBody(response: Response): Response {
  if (response.body === null) return response
  void response.body.cancel().catch(() => {})
  return new Response(null, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

// ---- what the request looks like on the wire (Node adapter or Web Request)

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/
/**
 * Ids the relay writes its own records under (`startup`, `upstream-auth`, …) and the shape of the
 * ids it makes up: a client's `x-request-id` never takes them (issue 26, item 9).
 */
const RESERVED_REQUEST_ID = /^(?:startup|upstream-auth|retention|shutdown|relay|req_.*)$/i

/**
 * The request id: the client's own `x-request-id` when it is short, plain and not one of the
 * relay's own, else `req_<32hex>`.
 */
function requestIdFor(clientValue: string | null): string {
  if (clientValue && SANE_REQUEST_ID.test(clientValue) && !RESERVED_REQUEST_ID.test(clientValue))
    return clientValue
  // randomUUID draws from a pre-filled entropy cache, cheaper than randomBytes on every request;
  // its 32 hex digits (122 random bits) keep the `req_<32 hex>` shape.
  return `req_${randomUUID().replaceAll('-', '')}`
}

/**
 * Aborts `req` when the client goes away before the answer is complete; returns the function that
 * stops watching. Under Node the response's `close` event is watched directly (what srvx's
 * `request.signal` does, without building that signal for every request).
 */
function watchClient(event: H3Event, req: RelayRequest): () => void {
  const node = event.runtime?.node as
    | { req?: { errored?: unknown }; res?: NodeJS.EventEmitter & { writableEnded?: boolean } }
    | undefined
  const res = node?.res
  if (res && typeof res.once === 'function') {
    const onClose = (): void => {
      if (res.writableEnded || req.signal.aborted) return
      const error = node?.req?.errored
      req.abort(error ?? undefined)
    }
    res.once('close', onClose)
    return () => res.off('close', onClose)
  }
  const signal = (event.req as { signal?: AbortSignal }).signal
  if (!signal) return () => {}
  const onAbort = (): void => {
    req.abort(signal.reason)
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * The request path before any mount prefix was stripped. Under srvx's Node adapter `event.req.url`
 * shares its URL object with `event.url`, which h3 rewrites for mounted apps, so the raw Node
 * request line is preferred.
 */
function originalPath(event: H3Event): string {
  const raw = (event.runtime?.node?.req as { url?: string } | undefined)?.url
  if (typeof raw === 'string' && raw.startsWith('/')) {
    const end = raw.search(/[?#]/)
    return end === -1 ? raw : raw.slice(0, end)
  }
  return new URL(event.req.url).pathname
}

/** An HTTP/1.1 request without a Host header (Node's own check is off so the answer is an envelope). */
function lacksHost(event: H3Event): boolean {
  const req = (
    event.runtime?.node as { req?: { httpVersion?: string; headers?: Record<string, unknown> } } | undefined
  )?.req
  return req?.httpVersion === '1.1' && !req.headers?.host
}

/** A path whose percent-encoding does not decode. */
function isMalformed(path: string): boolean {
  if (!path.includes('%')) return false
  try {
    decodeURIComponent(path)
    return false
  } catch {
    return true
  }
}

/**
 * The client address: the host's `clientAddress` option; when X-Forwarded-For is trusted, the
 * entry read from the right past the trusted proxies (issue 26, item 3: the leftmost entry is
 * whatever the client wrote); srvx's `request.ip` (h3 and Nitro); the Node socket peer; `null`
 * when none knows it.
 */
function clientIp(event: H3Event, rt: RelayRuntime): string | null {
  const custom = rt.settings.clientAddress?.(event)
  if (custom) return custom
  const peer = socketPeer(event)
  if (rt.forwardedFor === null || peer === null) return peer
  return forwardedClientAddress(peer ?? 'unknown', event.req.headers.get('x-forwarded-for'), rt.forwardedFor)
}

function socketPeer(event: H3Event): string | null {
  const ip = (event.req as { ip?: string }).ip
  if (ip) return ip
  const socket = (event.runtime?.node?.req as { socket?: { remoteAddress?: string } } | undefined)?.socket
  return socket?.remoteAddress || null
}

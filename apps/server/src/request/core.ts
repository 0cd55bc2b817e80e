import { randomUUID } from 'node:crypto'
import { type H3Event, toResponse } from 'h3'
import { malformedPath, missingHost, notFound, shuttingDown } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import { createSecurityGate, type SecurityGate } from '../security/gate'
import { RelayRequest } from './relay-request'

/** Paths that are never logged nor counted (polled by dashboards and health checks). */
const MONITORING_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/v1/relay/status',
  '/v1/subscription/status',
  '/v1/account/rate_limits',
  '/no-tools/v1/relay/status',
  '/no-tools/v1/subscription/status',
  '/no-tools/v1/account/rate_limits',
])
const NOT_FOUND = Symbol.for('h3.notFound')
const kRequest = 'airelays'

/** The relay's middleware: what h3 calls for every request before the routes. */
export type RelayMiddleware = (event: H3Event, next: () => unknown) => Promise<Response>

/** The {@link RelayRequest} of `event`; throws when the relay core did not run. */
export function requestOf(event: H3Event): RelayRequest {
  const req = (event.context as Record<string, unknown>)[kRequest] as RelayRequest | undefined
  if (!req) throw new Error('AIRelays request state missing: the relay core middleware did not run.')
  return req
}

/** The relay path of `event` (before any route rewrote it). */
export function relayPathOf(event: H3Event): string {
  const req = (event.context as Record<string, unknown>)[kRequest] as RelayRequest | undefined
  return req?.path ?? event.url.pathname
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
  const req = new RelayRequest({
    event,
    runtime: rt,
    id: requestIdFor(event.req.headers.get('x-request-id')),
    path,
    basePath,
    clientIp: clientIp(event, rt.settings.config.security.trust_x_forwarded_for),
    logged: !MONITORING_PATHS.has(trimSlash(path)),
  })
  ;(event.context as Record<string, unknown>)[kRequest] = req
  rt.lifecycle.add(req)
  return req
}

/** The checks before any route: draining, Host, a decodable path, and the `/v1` security gate. */
async function admit(rt: RelayRuntime, gate: SecurityGate, req: RelayRequest): Promise<void> {
  if (rt.lifecycle.draining) throw shuttingDown()
  if (lacksHost(req.event)) throw missingHost()
  if (isMalformed(req.path)) throw malformedPath()
  if (isApiPath(req.path)) await gate(req)
}

/**
 * The first middleware: opens the {@link RelayRequest} (id, client IP, in-flight set), runs the
 * checks and the security gate, calls the route, turns whatever it threw into the error
 * envelope, adds `x-request-id` (and the request's own headers) to every response, and tells the
 * request it was answered (it finishes then, or when its streamed body ends).
 */
export function relayCore(rt: RelayRuntime): RelayMiddleware {
  const gate = createSecurityGate(rt)
  return async (event, next) => {
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
    const headers = response.headers
    for (const [name, value] of Object.entries(req.responseHeaders())) headers.set(name, value)
    stopWatching()
    req.answered(response.status)
    return response
  }
}

// ---- what the request looks like on the wire (Node adapter or Web Request)

const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** The request id: the client's own `x-request-id` when it is short and plain, else `req_<32hex>`. */
function requestIdFor(clientValue: string | null): string {
  if (clientValue && SANE_REQUEST_ID.test(clientValue)) return clientValue
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

/** The socket peer, or the first X-Forwarded-For entry when trusted, else "unknown". */
function clientIp(event: H3Event, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const forwarded = event.req.headers.get('x-forwarded-for')
    const first = forwarded?.split(',')[0]?.trim()
    if (first) return first
  }
  const ip = (event.req as { ip?: string }).ip
  return ip && ip.length > 0 ? ip : 'unknown'
}

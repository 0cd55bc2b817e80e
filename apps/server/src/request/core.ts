import { type H3Event, toResponse } from 'h3'
import { malformedPath, missingHost, notFound, shuttingDown } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import { createSecurityGate, type SecurityGate } from '../security/gate'
import { requestIdFor } from './ids'
import { RelayRequest } from './relay-request'
import { clientIp, isMalformed, missingHost as lacksHost, originalPath, watchClient } from './transport'

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
    path === '/v1' || path.startsWith('/v1/') || path === '/no-tools/v1' || path.startsWith('/no-tools/v1/')
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

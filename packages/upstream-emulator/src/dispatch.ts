import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { emptyBody, readBody, sendJson } from './_internal/http'
import { defaultPlanType } from './accounts'
import { handleModels } from './backend/catalog'
import { backendHeaders } from './backend/headers'
import { handleResponses } from './backend/responses'
import { handleUsage } from './backend/usage'
import type { EndpointRoute } from './behaviours/rules'
import { CONTROL_PREFIX, handleControl } from './control/http'
import type { Exchange, RouteHandler } from './exchange'
import { handleAuthorize } from './issuer/authorize'
import { handleDevicePage, handleDeviceToken, handleDeviceUsercode } from './issuer/device'
import { handleRevoke, handleToken } from './issuer/token'
import { notify, openRecord, remember } from './recording'
import type { EmulatorState } from './state'

const NOT_FOUND = { detail: 'Not Found' }
const METHOD_NOT_ALLOWED = { detail: 'Method Not Allowed' }

/** Path → route name. */
const PATHS: Record<string, EndpointRoute | 'device_page'> = {
  '/backend-api/codex/responses': 'responses',
  '/backend-api/codex/models': 'models',
  '/backend-api/wham/usage': 'usage',
  '/backend-api/codex/usage': 'usage',
  '/backend-api/api/codex/usage': 'usage',
  '/oauth/token': 'token',
  '/oauth/authorize': 'authorize',
  '/oauth/revoke': 'revoke',
  '/api/accounts/deviceauth/usercode': 'device_usercode',
  '/api/accounts/deviceauth/token': 'device_token',
  '/codex/device': 'device_page',
}

/** Route name → the one method it answers and its handler. */
const ENDPOINTS: Record<EndpointRoute, { method: string; handle: RouteHandler }> = {
  responses: { method: 'POST', handle: handleResponses },
  models: { method: 'GET', handle: handleModels },
  usage: { method: 'GET', handle: handleUsage },
  token: { method: 'POST', handle: handleToken },
  authorize: { method: 'GET', handle: handleAuthorize },
  revoke: { method: 'POST', handle: handleRevoke },
  device_usercode: { method: 'POST', handle: handleDeviceUsercode },
  device_token: { method: 'POST', handle: handleDeviceToken },
}

function splitUrl(rawUrl: string): { path: string; query: Record<string, string>; search: URLSearchParams } {
  const q = rawUrl.indexOf('?')
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const search = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1))
  return { path, query: Object.fromEntries(search), search }
}

/**
 * Handle one request: control API, else record it (body included), then answer 413 / 404 / 405
 * or hand it to its route's handler.
 */
export async function dispatch(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { path, query, search } = splitUrl(req.url ?? '/')
  if (path.startsWith(CONTROL_PREFIX)) return handleControl(state, req, res, path)
  const method = req.method ?? 'GET'
  const route = Object.hasOwn(PATHS, path) ? (PATHS[path] as EndpointRoute | 'device_page') : 'other'
  const record = openRecord(state, req, res, { path, query, route })
  const needsBody = method !== 'GET' && method !== 'HEAD'
  const body = needsBody ? await readBody(req) : null
  if (body) record.body = body.json !== undefined ? body.json : body.raw.length > 0 ? body.raw : null
  remember(state, record)
  notify(state, record)
  // the client went away while sending the body; 'close' accounts for it
  if (needsBody && body === null) return
  const extra: OutgoingHttpHeaders = path.startsWith('/backend-api/')
    ? backendHeaders(state, record.requestId, defaultPlanType(state))
    : {}
  if (body?.tooLarge) return sendJson(res, 413, { detail: 'Request body too large' }, extra)
  const exchange: Exchange = { state, req, res, record, path, search, body: body ?? emptyBody() }
  if (route === 'device_page') {
    if (method !== 'GET' && method !== 'POST') return sendJson(res, 405, METHOD_NOT_ALLOWED)
    return handleDevicePage(exchange)
  }
  if (route === 'other') return sendJson(res, 404, NOT_FOUND, extra)
  const endpoint = ENDPOINTS[route]
  if (endpoint.method !== method) return sendJson(res, 405, METHOD_NOT_ALLOWED, extra)
  return endpoint.handle(exchange)
}

import type { H3, H3Event } from 'h3'
import { type DashboardRoutes, dashboardRoutes } from '../dashboard/routes'
import { methodNotAllowed, notFound } from '../errors/factories'
import { answeredByRelay, HOST_NOT_FOUND, relayPathOf, requestOf } from '../request/core'
import type { RelayRuntime } from '../runtime'
import { registerUpgradeRefusal } from '../websocket/refusal'
import { accountsRefresh } from './accounts'
import { modelRouteFor, modelsRouteFor } from './anthropic-models'
import { chatRoute } from './chat'
import { compactRoute } from './compact'
import { completionsRoute } from './completions'
import { conversationRoutes } from './conversations'
import { fileRoutes } from './files'
import type { RelayHandler } from './handler'
import { apiHelloRoute, countTokensRoute, eventLoggingRoute, messagesRoute } from './messages'
import { modelRoute, modelsRoute } from './models'
import { type RelayAccountRoutes, relayAccountRoutes } from './relay-accounts'
import { relayLoggingRoutes } from './relay-logging'
import { relayTokenRotate } from './relay-token'
import { keptResponseRoutes, responsesRoute } from './responses'
import { healthz, relayStatus, subscriptionStatus } from './status'
import { RouteTable } from './table'
import { unsupportedRoute } from './unsupported'

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD'

/**
 * Register `method path` on the app (the handler gets the request the core opened) and in the
 * table. A `GET` route answers `HEAD` too (the core drops the body).
 */
function add(app: H3, routes: RouteTable, method: Method, path: string): (handler: RelayHandler) => void {
  return (handler) => {
    const run = (event: H3Event): Promise<Response> | Response => handler(requestOf(event))
    app.on(method, path, run)
    if (method === 'GET') app.on('HEAD', path, run)
    routes.add(method, path)
  }
}

/** Where routes are registered: the app, the route table, the runtime and the dashboard's handlers. */
interface RouteSite {
  app: H3
  routes: RouteTable
  rt: RelayRuntime
  dashboard: DashboardRoutes
  accounts: RelayAccountRoutes
}

/** `GET /healthz`, the dashboard at `GET /` and its assets (unprotected; nothing secret). */
function registerPublicRoutes({ app, routes, rt, dashboard }: RouteSite): void {
  add(app, routes, 'GET', '/healthz')(healthz(rt))
  add(app, routes, 'GET', '/')(dashboard.page)
  add(app, routes, 'GET', '/dashboard/app.js')(dashboard.script)
  add(app, routes, 'GET', '/dashboard/app.css')(dashboard.style)
}

/** Every route under `/v1` or `/no-tools/v1` (behind the security gate). */
function registerApiRoutes(
  { app, routes, rt, dashboard, accounts }: RouteSite,
  prefix: '/v1' | '/no-tools/v1',
): void {
  const noTools = prefix === '/no-tools/v1'
  const r = (method: Method, path: string, handler: RelayHandler): void =>
    add(app, routes, method, prefix + path)(handler)

  r('GET', '/models', modelsRouteFor(rt, modelsRoute(rt)))
  r('GET', '/models/:model', modelRouteFor(rt, modelRoute(rt)))

  r('POST', '/chat/completions', chatRoute(rt, { noTools }))
  r('POST', '/completions', completionsRoute(rt))
  r('POST', '/responses', responsesRoute(rt, { noTools }))
  const kept = keptResponseRoutes(rt)
  r('GET', '/responses/:response_id', kept.get)
  r('DELETE', '/responses/:response_id', kept.remove)
  r('POST', '/responses/compact', compactRoute(rt))
  r('POST', '/messages', messagesRoute(rt, { noTools }))
  r('POST', '/messages/count_tokens', countTokensRoute(rt))

  const files = fileRoutes(rt)
  r('POST', '/files', files.upload)
  r('GET', '/files', files.list)
  r('GET', '/files/:file_id', files.get)
  r('DELETE', '/files/:file_id', files.remove)
  r('GET', '/files/:file_id/content', files.content)

  const conversations = conversationRoutes(rt)
  r('POST', '/conversations', conversations.create)
  r('GET', '/conversations/:conversation_id', conversations.get)
  r('POST', '/conversations/:conversation_id', conversations.update)
  r('DELETE', '/conversations/:conversation_id', conversations.remove)

  r('GET', '/relay/status', relayStatus(rt))
  r('POST', '/relay/accounts/refresh', accountsRefresh(rt))
  r('GET', '/relay/accounts', accounts.list)
  r('PUT', '/relay/accounts/order', accounts.order)
  r('POST', '/relay/accounts/login', accounts.startLogin)
  r('GET', '/relay/accounts/login/:login_id', accounts.loginStatus)
  r('DELETE', '/relay/accounts/login/:login_id', accounts.cancelLogin)
  r('DELETE', '/relay/accounts/:account', accounts.signOut)
  const logging = relayLoggingRoutes(rt)
  r('GET', '/relay/logging', logging.get)
  r('PUT', '/relay/logging', logging.put)
  r('POST', '/relay/token/rotate', relayTokenRotate(rt))
  r('GET', '/relay/traffic', dashboard.traffic)
  r('GET', '/relay/traffic/stream', dashboard.stream)
  r('GET', '/relay/traffic/:request_id', dashboard.detail)
  const subscription = subscriptionStatus(rt)
  r('GET', '/subscription/status', subscription)
  r('GET', '/account/rate_limits', subscription)

  const unsupported = unsupportedRoute()
  r('POST', '/embeddings', unsupported)
  r('POST', '/images/:operation', unsupported)
  r('POST', '/audio/:operation', unsupported)
  r('POST', '/realtime/sessions', unsupported)
}

/** Claude Code's side routes (behind the security gate; see `routes/messages.ts`). */
function registerClaudeCodeRoutes(app: H3, routes: RouteTable): void {
  add(app, routes, 'HEAD', '/api/hello')(apiHelloRoute())
  const eventLogging = eventLoggingRoute()
  add(app, routes, 'POST', '/api/event_logging/batch')(eventLogging)
  add(app, routes, 'POST', '/api/event_logging/v2/batch')(eventLogging)
}

/**
 * Every route of the relay: the public ones, the API under `/v1` and `/no-tools/v1`, and the
 * fallback that answers 405 (with `Allow`) on a known path and 404 elsewhere. `close()` stops the
 * device logins started from the dashboard.
 */
export function registerRoutes(app: H3, rt: RelayRuntime): { close(): Promise<void> } {
  const routes = new RouteTable()
  const site: RouteSite = {
    app,
    routes,
    rt,
    dashboard: dashboardRoutes(rt),
    accounts: relayAccountRoutes(rt),
  }
  registerPublicRoutes(site)
  for (const prefix of ['/v1', '/no-tools/v1'] as const) {
    registerApiRoutes(site, prefix)
    registerUpgradeRefusal(app, prefix)
  }
  registerClaudeCodeRoutes(app, routes)
  app.all('/**', (event) => {
    // Mounted at a host's root, the host's unmatched requests reach this route too: they stay the
    // host's (its own 404), never the relay's envelope.
    if (!answeredByRelay(event)) return HOST_NOT_FOUND
    const path = relayPathOf(event)
    const allowed = routes.methodsFor(path)
    if (allowed.length > 0) throw methodNotAllowed(event.req.method, allowed)
    throw notFound(event.req.method, path)
  })
  return { close: site.accounts.close }
}

import type { H3, H3Event } from 'h3'
import type { RouteTable } from '../_internal/routes'
import type { RelayRuntime } from '../_internal/runtime'
import { conversationRoutes } from './conversations'
import { fileRoutes } from './files'
import { generationRoutes } from './generation'
import { modelRoute, modelsRoute } from './models'
import { healthz, indexPage, relayStatus, subscriptionStatus } from './status'
import { unsupportedRoute } from './unsupported'

/** A route handler of the relay. */
export type RelayHandler = (event: H3Event) => Promise<Response> | Response

type Method = 'GET' | 'POST' | 'DELETE'

function add(app: H3, routes: RouteTable, method: Method, path: string, handler: RelayHandler): void {
  app.on(method, path, handler)
  routes.add(method, path)
}

/** `GET /healthz` and `GET /` (unprotected). */
export function registerPublicRoutes(app: H3, routes: RouteTable, rt: RelayRuntime): void {
  add(app, routes, 'GET', '/healthz', healthz(rt))
  add(app, routes, 'GET', '/', indexPage(rt))
}

/** Every route under `/v1` or `/no-tools/v1` (behind the security gate). */
export function registerApiRoutes(
  app: H3,
  routes: RouteTable,
  rt: RelayRuntime,
  prefix: '/v1' | '/no-tools/v1',
): void {
  const noTools = prefix === '/no-tools/v1'
  const r = (method: Method, path: string, handler: RelayHandler): void =>
    add(app, routes, method, prefix + path, handler)

  r('GET', '/models', modelsRoute(rt))
  r('GET', '/models/:model', modelRoute(rt))

  const generation = generationRoutes(rt, noTools)
  r('POST', '/chat/completions', generation.chat)
  r('POST', '/completions', generation.completions)
  r('POST', '/responses', generation.responses)

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
  const subscription = subscriptionStatus(rt)
  r('GET', '/subscription/status', subscription)
  r('GET', '/account/rate_limits', subscription)

  const unsupported = unsupportedRoute(rt)
  r('POST', '/embeddings', unsupported)
  r('POST', '/images/:operation', unsupported)
  r('POST', '/audio/:operation', unsupported)
  r('POST', '/realtime/sessions', unsupported)
}

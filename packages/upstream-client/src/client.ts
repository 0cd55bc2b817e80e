// The composition root of the upstream client: options → one ClientContext → the modules in
// `_internal/client/`, each a set of functions taking the context first:
//   settings.ts     options → validated ClientSettings (identity: one client version for every call)
//   context.ts      ClientContext (settings, dispatcher, credentials, clock, sleep, random, hooks, closed)
//   credentials.ts  CredentialSource (ready / recover per request) over the TokenManager; status; revoke
//   transport.ts    one backend request with the request/response hooks; the authenticated GET (401 rule)
//   retries.ts      the retry loop before the first content event
//   responses.ts    POST /responses: attempts, the 401 retry, reading up to the first content event
//   models.ts       GET /models behind the ModelsCache
//   usage.ts        GET /wham/usage with its fallback
import type { ClientContext } from './_internal/client/context'
import {
  createCredentialSource,
  forceRefresh,
  loginStatus,
  revokeLogin,
} from './_internal/client/credentials'
import { ModelsCache } from './_internal/client/models'
import { callResponses } from './_internal/client/responses'
import { assertClientOptions, resolveClientSettings } from './_internal/client/settings'
import { fetchUsage } from './_internal/client/usage'
import { createDefaultDispatcher } from './_internal/http'
import { createNodeDispatcher, proxyConfigured } from './_internal/node-transport'
import { defaultSleep } from './_internal/sleep'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'

/** Build the context: settings, the dispatcher (owned unless given), collaborators, credentials. */
function createClientContext(options: UpstreamClientOptions): ClientContext {
  const settings = resolveClientSettings(options)
  const dispatcher =
    options.dispatcher ??
    (options.transport === 'node' && !proxyConfigured(options.proxy, process.env)
      ? createNodeDispatcher()
      : createDefaultDispatcher(settings.requestTimeoutMs, options.proxy))
  const clock = options.clock ?? Date.now
  const hooks = options.hooks ?? {}
  const store = options.credentials
  return {
    settings,
    dispatcher,
    ownsDispatcher: !options.dispatcher,
    store,
    credentials: createCredentialSource({ store, dispatcher, settings, clock, hooks }),
    clock,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    hooks,
    closed: false,
  }
}

async function closeClient(ctx: ClientContext): Promise<void> {
  if (ctx.closed) return
  ctx.closed = true
  if (ctx.ownsDispatcher) await ctx.dispatcher.close()
}

/**
 * Create a Codex backend client (Responses SSE, models, usage) with token refresh and
 * retries. Touches no process-wide state; call `close()` when done.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  assertClientOptions(options)
  const ctx = createClientContext(options)
  const models = new ModelsCache(ctx)
  return {
    responses: (body, callOptions) => callResponses(ctx, body, callOptions),
    models: (callOptions) => models.list(callOptions),
    clientVersion: ctx.settings.identity.clientVersion,
    invalidateModels: () => models.invalidate(),
    modelsCacheStatus: () => models.status(),
    usage: (callOptions) => fetchUsage(ctx, callOptions),
    status: () => loginStatus(ctx.store),
    refresh: (callOptions) => forceRefresh(ctx, callOptions),
    revoke: (auth) => revokeLogin(ctx, auth),
    close: () => closeClient(ctx),
  }
}

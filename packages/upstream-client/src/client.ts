// The composition root of the upstream client: options → one ClientContext → the modules in
// `_internal/client/`, each a set of functions taking the context first:
//   assemble.ts     options → the ClientContext (shared with ../reader.ts), close
//   settings.ts     options → validated ClientSettings (identity: one client version for every call)
//   context.ts      ClientContext (settings, dispatcher, credentials, clock, sleep, random, hooks, closed)
//   credentials.ts  CredentialSource (ready / recover per request) over the TokenManager; status; revoke
//   transport.ts    one backend request with the request/response hooks; the authenticated GET (401 rule)
//   retries.ts      the retry loop before the first content event
//   responses.ts    POST /responses: attempts, the 401 retry, reading up to the first content event
//   models.ts       GET /models behind the ModelsCache
//   usage.ts        GET /wham/usage with its fallback
import { closeClient, createClientContext } from './_internal/client/assemble'
import { forceRefresh, loginStatus, revokeLogin } from './_internal/client/credentials'
import { ModelsCache } from './_internal/client/models'
import { callResponses } from './_internal/client/responses'
import { fetchUsage } from './_internal/client/usage'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'

/**
 * Create a Codex backend client (Responses SSE, models, usage) with token refresh and
 * retries. Touches no process-wide state; call `close()` when done.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
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

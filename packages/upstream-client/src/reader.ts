// The read-only composition root: the models catalog and the usage of one login, built on the same
// ClientContext as `createUpstreamClient` (./client.ts) but without the Responses call, so a caller
// that only reads (`airelays status`, `doctor`) does not load the streaming and retry code and,
// through it, most of @airelays/translate.
import { closeClient, createClientContext } from './_internal/client/assemble'
import { ModelsCache } from './_internal/client/models'
import { fetchUsage } from './_internal/client/usage'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'

/** What {@link createUpstreamReader} returns: the read calls of an {@link UpstreamClient}. */
export type UpstreamReader = Pick<UpstreamClient, 'models' | 'usage' | 'clientVersion' | 'close'>

/**
 * Create a client that reads the models catalog and the subscription usage: the same options,
 * credentials, refresh, transport and errors as {@link createUpstreamClient}, without
 * `responses()`. Touches no process-wide state; call `close()` when done.
 */
export function createUpstreamReader(options: UpstreamClientOptions): UpstreamReader {
  const ctx = createClientContext(options)
  const models = new ModelsCache(ctx)
  return {
    models: (callOptions) => models.list(callOptions),
    usage: (callOptions) => fetchUsage(ctx, callOptions),
    clientVersion: ctx.settings.identity.clientVersion,
    close: () => closeClient(ctx),
  }
}

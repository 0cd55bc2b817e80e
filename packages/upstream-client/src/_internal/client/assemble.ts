// Options → one ClientContext, and its close: shared by the two composition roots, the full
// client (`createUpstreamClient`, ../../client.ts) and the read-only one (`createUpstreamReader`,
// ../../reader.ts), so both build the same context the same way.
import type { UpstreamClientOptions } from '../../client-options'
import { createDefaultDispatcher } from '../http'
import { createNodeDispatcher, proxyConfigured } from '../node-transport'
import { defaultSleep } from '../sleep'
import type { ClientContext } from './context'
import { createCredentialSource } from './credentials'
import { assertClientOptions, resolveClientSettings } from './settings'

/** Validate the options and build the context: settings, the dispatcher (owned unless given), collaborators, credentials. */
export function createClientContext(options: UpstreamClientOptions): ClientContext {
  assertClientOptions(options)
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

/** Close the context once: its dispatcher when the client created it. */
export async function closeClient(ctx: ClientContext): Promise<void> {
  if (ctx.closed) return
  ctx.closed = true
  if (ctx.ownsDispatcher) await ctx.dispatcher.close()
}

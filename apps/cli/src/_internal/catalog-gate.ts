// Which catalog models the relay's Codex client version cannot call (`status` and `doctor`): the
// backend leaves a model out of `/models?client_version=X` when its `minimal_client_version` is
// above X, so the account's catalog as a client newer than every release sees it, minus the
// catalog at the relay's version, is what needs a newer client.
import { type AuthStore, credentialStoreFor, DEFAULT_SLOT } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'

/** A version above every Codex release: the catalog it gets lists every model of the account. */
export const ANY_CLIENT_VERSION = '9999.0.0'

/** Options of {@link catalogSlugs} and {@link readCatalogGate}. */
export interface CatalogProbeOptions {
  store: AuthStore
  /** The account slot whose login is used. @default DEFAULT_SLOT */
  slot?: string
  /** The client version announced with `/models`. */
  clientVersion: string
  /** Longest wait for the catalog, in ms. */
  timeoutMs: number
}

/** The model slugs of the account's catalog at `clientVersion` (throws when it cannot be read). */
export async function catalogSlugs(config: ResolvedConfig, options: CatalogProbeOptions): Promise<string[]> {
  // loaded on use: `status` without a login never loads the upstream client; its read-only entry,
  // without the Responses code and the translators the barrel would also load
  const { createUpstreamReader } = await import('@airelays/upstream-client/reader')
  const upstream = createUpstreamReader({
    baseUrl: config.upstream.base_url,
    issuerUrl: config.upstream.issuer_base_url,
    clientId: config.upstream.client_id,
    clientVersion: options.clientVersion,
    credentials: credentialStoreFor(options.store, options.slot ?? DEFAULT_SLOT),
    requestTimeoutMs: options.timeoutMs,
    retry: { attempts: 0 },
    modelsCacheTtlSeconds: 0,
    // two GETs in a command that exits: node:http rather than loading undici (~130 ms)
    transport: 'node',
  })
  try {
    const models = await upstream.models({ signal: AbortSignal.timeout(options.timeoutMs) })
    return models.map((model) => model.slug).filter((slug) => typeof slug === 'string' && slug !== '')
  } finally {
    await upstream.close().catch(() => {})
  }
}

/** `status --json` `catalog`: the client version in use and the catalog models it cannot call. */
export interface CatalogGate {
  client_version: string
  /** Models the account's catalog lists only for a newer client (they cannot be called). */
  models_above_client_version: string[]
}

/** The catalog gate, or why it could not be read. */
export async function readCatalogGate(
  config: ResolvedConfig,
  options: CatalogProbeOptions,
): Promise<{ gate: CatalogGate | null; error: string | null }> {
  try {
    const [callable, every] = await Promise.all([
      catalogSlugs(config, options),
      catalogSlugs(config, { ...options, clientVersion: ANY_CLIENT_VERSION }),
    ])
    return {
      gate: {
        client_version: options.clientVersion,
        models_above_client_version: every.filter((slug) => !callable.includes(slug)),
      },
      error: null,
    }
  } catch (error) {
    return { gate: null, error: error instanceof Error ? error.message : String(error) }
  }
}

/** What to do when the client version is too old for some catalog models. */
export const RAISE_CLIENT_VERSION_STEP =
  'Unset upstream.client_version (or AIRELAYS_CLIENT_VERSION), or set it to the current Codex CLI version, then restart the relay.'

import { DEFAULT_CLIENT_VERSION } from '../_internal/constants'
import type {
  CallOptions,
  LoginStatus,
  ModelsCacheStatus,
  ResponsesCallOptions,
  ResponsesStream,
  RevokeResult,
  UpstreamClient,
  UpstreamModel,
} from '../client-api'
import type { StoredAuth } from '../types'
import type { UsageSnapshot } from '../usage'
import { NO_LOGIN, noLogin, pooledModels, pooledResponses } from './pooled-calls'
import type { AccountPool, PoolAccountStatus, PoolMember } from './types'

/** One account of a pooled client: its slug, who it is, and its own upstream client. */
export interface PooledAccount extends PoolMember {
  readonly slug: string
  /** E-mail of the login, for status pages. @default null */
  readonly email?: string | null
  /** The account's own client (its credentials, its refresh, its models cache). */
  readonly client: UpstreamClient
}

/** Per-request account events for the relay's traffic log. Hooks must not throw. */
export interface PooledClientHooks {
  /** Before each attempt with two or more accounts (reference `account_selected`). */
  onAccountSelected?(info: {
    requestId: string | null
    account: string
    attempt: number
    affinity: boolean
  }): void
  /** Before trying the next account (reference `account_failover`). */
  onAccountFailover?(info: {
    requestId: string | null
    from_account: string
    to_account: string
    reason: string
    cooldown_seconds: number
  }): void
  /** Before a retry pass (every account failed transiently). */
  onRetry?(info: { requestId: string | null; pass: number; delaySeconds: number; reason: string }): void
}

/** Options of {@link createPooledClient}. */
export interface PooledClientOptions {
  /** The pool (balance mode, benches, clock) whose members carry their clients. */
  pool: AccountPool<PooledAccount>
  hooks?: PooledClientHooks
  /**
   * The Codex client version the members announce (`client.clientVersion`).
   * @default the first member's, else `DEFAULT_CLIENT_VERSION`
   */
  clientVersion?: string
}

/** An account's status: the pool's view plus its e-mail. */
export interface PooledAccountStatus extends PoolAccountStatus {
  email: string | null
}

/**
 * An `UpstreamClient` over several accounts: `responses()` runs on the pool (failover before the
 * first content event, benches, affinity by `sessionId`, else the body's `prompt_cache_key`),
 * `models()` is the union of the accounts' catalogs (and teaches the pool who lists what),
 * `usage()` and `status()` are the primary account's (the first one the pool would pick).
 * With a single account the pool adds no retry passes: give that account's client its retries.
 */
export interface PooledClient extends UpstreamClient {
  readonly pool: AccountPool<PooledAccount>
  /** Per-account state in serving order. */
  accounts(): PooledAccountStatus[]
  /** Probe every account's usage (forced, or when older than the pool's cache) and their catalogs. */
  refreshAccounts(options?: { force?: boolean }): Promise<void>
  /** The usage of one account by slug. */
  usageOf(slug: string, options?: CallOptions): Promise<UsageSnapshot>
}

/** Creates an {@link PooledClient}. Closing it closes every member's client. */
export function createPooledClient(options: PooledClientOptions): PooledClient {
  const { pool } = options
  const hooks = options.hooks ?? {}

  const primary = (): PooledAccount | undefined => pool.plan()[0] ?? pool.members()[0]

  const responses = (
    body: Record<string, unknown>,
    callOptions?: ResponsesCallOptions,
  ): Promise<ResponsesStream> => pooledResponses({ pool, hooks }, body, callOptions)
  const models = (callOptions?: CallOptions): Promise<UpstreamModel[]> => pooledModels(pool, callOptions)

  const usageOf = async (slug: string, callOptions?: CallOptions): Promise<UsageSnapshot> => {
    const member = pool.members().find((m) => m.slug === slug)
    if (!member) throw noLogin()
    return member.client.usage(callOptions)
  }

  return {
    pool,
    get clientVersion(): string {
      return options.clientVersion ?? pool.members()[0]?.client.clientVersion ?? DEFAULT_CLIENT_VERSION
    },
    responses,
    models,
    invalidateModels(): void {
      for (const m of pool.members()) m.client.invalidateModels()
    },
    modelsCacheStatus(): ModelsCacheStatus {
      const first = primary()
      if (first) return first.client.modelsCacheStatus()
      return {
        enabled: false,
        ttl_seconds: 0,
        state: 'empty',
        age_seconds: null,
        expires_in_seconds: null,
        cached_model_count: 0,
      }
    },
    async refresh(callOptions?: CallOptions): Promise<LoginStatus> {
      const first = primary()
      if (!first) throw noLogin()
      return first.client.refresh(callOptions)
    },
    async usage(callOptions?: CallOptions): Promise<UsageSnapshot> {
      const first = primary()
      if (!first) throw noLogin()
      return first.client.usage(callOptions)
    },
    usageOf,
    async status(): Promise<LoginStatus> {
      const first = primary()
      if (first) return first.client.status()
      return {
        credentials_present: false,
        authenticated: false,
        account_bound: false,
        ready_for_requests: false,
        email: null,
        plan_type: null,
        account_id: null,
        bound_account_id: null,
        last_refresh: null,
        access_token_expires_at: null,
      }
    },
    async revoke(auth?: StoredAuth | null): Promise<RevokeResult> {
      const first = primary()
      if (!first) return { revoked: false, tokenTypeHint: null, status: null, error: NO_LOGIN }
      return first.client.revoke(auth)
    },
    accounts(): PooledAccountStatus[] {
      const members = pool.members()
      return pool
        .status()
        .map((s) => ({ ...s, email: members.find((m) => m.slug === s.slug)?.email ?? null }))
    },
    async refreshAccounts(opts?: { force?: boolean }): Promise<void> {
      await Promise.all([pool.refreshUsage((m) => m.client.usage(), opts), models().catch(() => [])])
    },
    async close(): Promise<void> {
      await Promise.all(pool.members().map((m) => m.client.close().catch(() => {})))
    },
  }
}

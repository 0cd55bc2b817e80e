import { join } from 'node:path'
import {
  type AuthStore,
  accountsSignature,
  createAuthStore,
  credentialStoreFor,
  DEFAULT_SLOT,
  listAccounts,
  slotDirectory,
} from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import {
  createAccountPool,
  createPooledClient,
  createUpstreamClient,
  type PooledAccount,
  type PooledClient,
} from '@airelays/upstream-client'
import type { Dispatcher } from 'undici'
import type { SecretSet } from '../logging/redact'
import type { TrafficLog } from '../logging/traffic-log'
import { upstreamHooks } from '../logging/upstream-hooks'
import { cachingCredentials, scrubbingCredentials } from './credentials'

/** How often the relay looks for added, removed or reordered accounts, in ms (reference: 10 s). */
export const ACCOUNTS_RELOAD_INTERVAL_MS = 10_000
/** How often the usage of every account is read in the background with two or more accounts, in ms. */
export const USAGE_REFRESH_INTERVAL_MS = 300_000

/** The relay's accounts: the pooled client the routes use, kept in step with the data dir. */
export interface RelayAccounts {
  /** The client every route calls (`runtime.upstream`): reloads the slots when they changed. */
  readonly client: PooledClient
  /** Re-read the slots now when their signature changed (or always with `force`). */
  reload(force?: boolean): Promise<void>
  /**
   * Read the slots (resolves then), probe every account's usage and catalog in the background
   * (logged as `account_pool_warmed`), and again every 5 minutes with two or more accounts.
   */
  start(): Promise<void>
  /** Stop the background refresh and close every account's client. */
  close(): Promise<void>
}

/** What {@link createRelayAccounts} needs from the relay. */
export interface RelayAccountsOptions {
  config: ResolvedConfig
  now: () => number
  log: TrafficLog
  secrets: SecretSet
  modelsWaiters: string[]
  dispatcher?: Dispatcher
  /** The Codex client version every account's client announces. @default `config.upstream.client_version` */
  clientVersion?: string
  /** @default {@link ACCOUNTS_RELOAD_INTERVAL_MS} */
  reloadIntervalMs?: number
}

/** A pool member: the account's client plus the slot it reads and its retry policy. */
type RelayMember = PooledAccount & { readonly slot: string; readonly multi: boolean }

/** The root slot when nobody is signed in: the relay then behaves exactly like a one-login relay. */
const EMPTY_ROOT = { slot: DEFAULT_SLOT, slug: DEFAULT_SLOT, email: null }

/**
 * Several ChatGPT accounts behind one relay (reference §9 "Multi-account pool"): one upstream
 * client per account slot (its own refresh, under the slot's lock), an account pool with the
 * configured balance mode and cooldown, failover before the first content byte, and a reload when
 * the slots on disk change (checked at most every 10 s), keeping benches.
 */
export function createRelayAccounts(options: RelayAccountsOptions): RelayAccounts {
  const { config, now, log, secrets, modelsWaiters } = options
  const openai = config.providers.openai
  const dataDir = config.paths.data_dir
  const store: AuthStore = createAuthStore({ mode: config.auth.storage, dataDir })
  const reloadInterval = options.reloadIntervalMs ?? ACCOUNTS_RELOAD_INTERVAL_MS
  const pool = createAccountPool<RelayMember>({
    balance: openai.balance,
    cooldownSeconds: openai.account_cooldown_seconds,
    retry: { attempts: openai.retry_attempts, backoffSeconds: openai.retry_backoff_seconds },
    clock: now,
  })
  const pooled = createPooledClient({
    pool,
    clientVersion: options.clientVersion ?? config.upstream.client_version,
    hooks: {
      onAccountSelected: (info) =>
        log.write(info.requestId ?? 'upstream', 'account_selected', {
          account: info.account,
          attempt: info.attempt,
          affinity: info.affinity,
        }),
      onAccountFailover: (info) => {
        const { requestId, ...fields } = info
        log.write(requestId ?? 'upstream', 'account_failover', fields)
      },
      onRetry: (info) =>
        log.write(info.requestId ?? 'upstream', 'retry_backoff', {
          attempt: info.pass,
          max_attempts: openai.retry_attempts,
          delay_seconds: info.delaySeconds,
          reason: info.reason,
        }),
    },
  })

  const authFileOf = (slot: string): string =>
    slot === DEFAULT_SLOT ? config.paths.auth_file : join(slotDirectory(dataDir, slot), 'auth.json')

  const memberFor = (
    account: { slot: string; slug: string; email: string | null },
    multi: boolean,
  ): RelayMember => ({
    slug: account.slug,
    email: account.email,
    slot: account.slot,
    multi,
    client: createUpstreamClient({
      credentials: scrubbingCredentials(
        cachingCredentials(credentialStoreFor(store, account.slot), authFileOf(account.slot)),
        secrets,
      ),
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: options.clientVersion ?? config.upstream.client_version,
      requestTimeoutMs: config.upstream.request_timeout_seconds * 1000,
      streamIdleTimeoutMs: config.upstream.stream_idle_timeout_seconds * 1000,
      modelsCacheTtlSeconds: openai.models_cache_ttl_seconds,
      // With several accounts retries are passes of the pool, so a failing account hands over at
      // once; a single account keeps the client's own retries (the pool then adds none).
      retry: multi
        ? { attempts: 0 }
        : { attempts: openai.retry_attempts, backoffSeconds: openai.retry_backoff_seconds },
      clock: now,
      // Every upstream record names the serving account (its slug, never a token).
      hooks: upstreamHooks(log, modelsWaiters, account.slug),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    }),
  })

  let signature: string | null = null
  let checkedAt = Number.NEGATIVE_INFINITY
  let reloading: Promise<void> | null = null

  const doReload = async (force: boolean): Promise<void> => {
    const next = await accountsSignature(dataDir).catch(() => null)
    if (!force && next !== null && next === signature) return
    const { accounts } = await listAccounts({ store, dataDir }).catch(() => ({ accounts: [] }))
    for (const account of accounts) {
      secrets.add(account.auth.tokens.access_token)
      secrets.add(account.auth.tokens.refresh_token)
      secrets.add(account.auth.tokens.id_token)
    }
    const wanted = accounts.length > 0 ? accounts : [EMPTY_ROOT]
    const multi = wanted.length >= 2
    const key = (slug: string, slot: string): string => `${slug}\u0000${slot}\u0000${multi}`
    const current = new Map(pool.members().map((m) => [`${m.slug}\u0000${m.slot}\u0000${m.multi}`, m]))
    const members = wanted.map(
      (a) =>
        current.get(key(a.slug, a.slot)) ?? memberFor({ slot: a.slot, slug: a.slug, email: a.email }, multi),
    )
    const kept = new Set(members)
    const dropped = pool.members().filter((m) => !kept.has(m))
    const changed = signature !== null && next !== signature
    pool.setMembers(members)
    signature = next
    for (const m of dropped) void m.client.close().catch(() => {})
    if (changed) {
      log.write('startup', 'account_pool_reloaded', {
        accounts: members.map((m) => m.slug),
        balance: openai.balance,
      })
    }
  }

  const reload = (force = false): Promise<void> => {
    checkedAt = now()
    reloading ??= doReload(force).finally(() => {
      reloading = null
    })
    return reloading
  }

  const fresh = async (): Promise<void> => {
    if (reloading) return reloading
    if (now() - checkedAt >= reloadInterval) await reload()
  }

  let timer: NodeJS.Timeout | null = null
  const client: PooledClient = {
    ...pooled,
    pool,
    async responses(body, callOptions) {
      await fresh()
      return pooled.responses(body, callOptions)
    },
    async models(callOptions) {
      await fresh()
      return pooled.models(callOptions)
    },
    async usage(callOptions) {
      await fresh()
      return pooled.usage(callOptions)
    },
    async usageOf(slug, callOptions) {
      await fresh()
      return pooled.usageOf(slug, callOptions)
    },
    async status() {
      await fresh()
      return pooled.status()
    },
    accounts: () => pooled.accounts(),
    async refreshAccounts(opts) {
      await fresh()
      await pooled.refreshAccounts(opts)
    },
  }

  return {
    client,
    reload,
    start(): Promise<void> {
      const first = reload(true)
      void (async () => {
        await first
        // One account behaves as a one-login relay: nothing is probed before the first request.
        if (pool.size < 2) return
        await pooled.refreshAccounts({ force: true }).catch(() => {})
        log.write('startup', 'account_pool_warmed', {
          accounts: pooled.accounts().map((a) => ({
            account: a.slug,
            limited: a.limited,
            used_percent: a.used_percent,
          })),
          balance: openai.balance,
        })
      })()
      timer = setInterval(() => {
        if (pool.size >= 2) void client.refreshAccounts().catch(() => {})
      }, USAGE_REFRESH_INTERVAL_MS)
      timer.unref()
      return first
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer)
      timer = null
      await reloading?.catch(() => {})
      await pooled.close()
    },
  }
}

import { type AuthStore, createAuthStore } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import { createAccountPool, createPooledClient, type PooledClient } from '@airelays/upstream-client'
import type { Dispatcher } from 'undici'
import type { SecretSet } from '../logging/redact'
import type { TrafficLog } from '../logging/traffic-log'
import { poolLogHooks, type RelayMember } from './account-members'
import { AccountSlots } from './account-slots'

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

/**
 * Several ChatGPT accounts behind one relay (reference §9 "Multi-account pool"): one upstream
 * client per account slot (its own refresh, under the slot's lock), an account pool with the
 * configured balance mode and cooldown, failover before the first content byte, and a reload when
 * the slots on disk change (checked at most every 10 s), keeping benches.
 */
export function createRelayAccounts(options: RelayAccountsOptions): RelayAccounts {
  const { config, now, log } = options
  const openai = config.providers.openai
  const store: AuthStore = createAuthStore({ mode: config.auth.storage, dataDir: config.paths.data_dir })
  const clientVersion = options.clientVersion ?? config.upstream.client_version
  const pool = createAccountPool<RelayMember>({
    balance: openai.balance,
    cooldownSeconds: openai.account_cooldown_seconds,
    retry: { attempts: openai.retry_attempts, backoffSeconds: openai.retry_backoff_seconds },
    clock: now,
  })
  const pooled = createPooledClient({ pool, clientVersion, hooks: poolLogHooks(log, openai.retry_attempts) })
  const slots = new AccountSlots(
    { ...options, store, clientVersion },
    pool,
    options.reloadIntervalMs ?? ACCOUNTS_RELOAD_INTERVAL_MS,
  )
  const reload = (force = false): Promise<void> => slots.reload(force)
  const fresh = (): Promise<void> | undefined => slots.fresh()

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
      await slots.reloading?.catch(() => {})
      await pooled.close()
    },
  }
}

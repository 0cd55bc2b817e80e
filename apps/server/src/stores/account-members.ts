import { join } from 'node:path'
import { type AuthStore, credentialStoreFor, DEFAULT_SLOT, slotDirectory } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import { createUpstreamClient, type PooledAccount, type PooledClientHooks } from '@airelays/upstream-client'
import type { Dispatcher } from 'undici'
import type { SecretSet } from '../logging/redact'
import type { TrafficLog } from '../logging/traffic-log'
import { upstreamHooks } from '../logging/upstream-hooks'
import { cachingCredentials, scrubbingCredentials } from './credentials'

/** A pool member: the account's client plus the slot it reads and its retry policy. */
export type RelayMember = PooledAccount & { readonly slot: string; readonly multi: boolean }

/** An account slot on disk, as a pool member is made from it. */
export interface AccountSlot {
  slot: string
  slug: string
  email: string | null
}

/** What a member's upstream client is made from. */
export interface MemberContext {
  config: ResolvedConfig
  store: AuthStore
  now: () => number
  log: TrafficLog
  secrets: SecretSet
  modelsWaiters: string[]
  clientVersion: string
  dispatcher?: Dispatcher
}

/** The pooled client's account events, as traffic-log records. */
export function poolLogHooks(log: TrafficLog, retryAttempts: number): PooledClientHooks {
  return {
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
        max_attempts: retryAttempts,
        delay_seconds: info.delaySeconds,
        reason: info.reason,
      }),
  }
}

function authFileOf(config: ResolvedConfig, slot: string): string {
  return slot === DEFAULT_SLOT
    ? config.paths.auth_file
    : join(slotDirectory(config.paths.data_dir, slot), 'auth.json')
}

/**
 * One account's pool member: its own upstream client over the slot's credentials (cached, and
 * scrubbed into the secret set). `multi`: with several accounts retries are passes of the pool.
 */
export function createRelayMember(ctx: MemberContext, account: AccountSlot, multi: boolean): RelayMember {
  const { config, store, secrets, log, modelsWaiters, now } = ctx
  const openai = config.providers.openai
  return {
    slug: account.slug,
    email: account.email,
    slot: account.slot,
    multi,
    client: createUpstreamClient({
      credentials: scrubbingCredentials(
        cachingCredentials(credentialStoreFor(store, account.slot), authFileOf(config, account.slot)),
        secrets,
      ),
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: ctx.clientVersion,
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
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    }),
  }
}

import type { CallOptions, ResponsesCallOptions, ResponsesStream, UpstreamModel } from '../client-api'
import { isUpstreamError, UpstreamError } from '../errors'
import { callHook } from './failure'
import type { PooledAccount, PooledClientHooks } from './pooled-client'
import type { AccountPool } from './types'

/** What the pooled calls share: the pool and the client's hooks. */
export interface PooledContext {
  pool: AccountPool<PooledAccount>
  hooks: PooledClientHooks
}

/** The error of a pool with no members. */
export function noLogin(): UpstreamError {
  return new UpstreamError({ code: 'auth_missing', message: NO_LOGIN })
}

export const NO_LOGIN = 'No ChatGPT login found. Run `airelays login` first.'

/**
 * `responses()` on the pool: failover before the first content event, affinity by `sessionId`,
 * else the body's `prompt_cache_key`; account events go to the hooks.
 */
export async function pooledResponses(
  { pool, hooks }: PooledContext,
  body: Record<string, unknown>,
  callOptions: ResponsesCallOptions = {},
): Promise<ResponsesStream> {
  const requestId = callOptions.requestId ?? null
  const cacheKey = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : null
  const request = {
    model: typeof body.model === 'string' ? body.model : null,
    affinityKey: callOptions.sessionId ?? cacheKey,
  }
  let previous: { slug: string; reason: string } | null = null
  const result = await pool.run(
    request,
    async (account, info) => {
      if (previous) {
        const bench = pool.status().find((s) => s.slug === previous?.slug)
        callHook(hooks.onAccountFailover, {
          requestId,
          from_account: previous.slug,
          to_account: account.slug,
          reason: previous.reason,
          cooldown_seconds: bench?.limited_for_seconds ?? 0,
        })
      }
      if (pool.size >= 2) {
        callHook(hooks.onAccountSelected, {
          requestId,
          account: account.slug,
          attempt: info.attempt,
          affinity: info.affinity,
        })
      }
      try {
        return await account.client.responses(body, callOptions)
      } catch (error) {
        previous = { slug: account.slug, reason: isUpstreamError(error) ? error.code : 'error' }
        throw error
      }
    },
    {
      signal: callOptions.signal,
      onRetry: (info) => callHook(hooks.onRetry, { requestId, ...info }),
      // One account: its own client's retries apply (with jitter and the quota-reset rule).
      ...(pool.size < 2 ? { retry: { attempts: 0 } } : {}),
    },
  )
  return result.value
}

/** `models()`: the union of the accounts' catalogs; teaches the pool who lists what. */
export async function pooledModels(
  pool: AccountPool<PooledAccount>,
  callOptions?: CallOptions,
): Promise<UpstreamModel[]> {
  const members = pool.members()
  if (members.length === 0) throw noLogin()
  const results = await Promise.allSettled(members.map((m) => m.client.models(callOptions)))
  const union: UpstreamModel[] = []
  const seen = new Set<string>()
  let firstError: unknown = null
  results.forEach((result, i) => {
    const member = members[i] as PooledAccount
    if (result.status === 'rejected') {
      firstError ??= result.reason
      return
    }
    pool.setModels(
      member.slug,
      result.value.map((m) => m.slug),
    )
    for (const model of result.value) {
      if (seen.has(model.slug)) continue
      seen.add(model.slug)
      union.push(model)
    }
  })
  if (union.length === 0 && firstError !== null) throw firstError
  return union
}

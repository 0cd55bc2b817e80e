import { isRecord, isUpstreamError, UpstreamError } from '../errors'
import { messageOf } from './failure'
import type { PoolState } from './state'
import type { PoolMember } from './types'

/** The last error, reworded when every account of a multi-account pool is benched. */
export function exhaustedError<A extends PoolMember>(pool: PoolState<A>, last: unknown): unknown {
  const members = pool.members
  if (members.length < 2 || !pool.allBenched()) return last
  const n = members.length
  const earliest = pool.earliestRetrySeconds() ?? 1
  const allQuota = members.every((m) => pool.stateOf(m.slug)?.bench?.kind === 'quota')
  const base = messageOf(last)
  const message = allQuota
    ? `All ${n} OpenAI accounts are at their limits (earliest retry in ${earliest}s). Last error: ${base}`
    : `All ${n} OpenAI accounts failed for this request. Last error: ${base}`
  const up: Record<string, unknown> =
    isUpstreamError(last) && isRecord(last.upstreamError) ? { ...last.upstreamError } : {}
  const hadTypeOrCode = typeof up.type === 'string' || typeof up.code === 'string'
  if (!hadTypeOrCode) {
    up.type = 'upstream_error'
    up.code = 'all_accounts_limited'
  }
  up.message = message
  if (!isUpstreamError(last)) {
    return new UpstreamError({ code: 'upstream_unavailable', message, upstreamError: up, cause: last })
  }
  const is429 = last.status === 429
  if (is429) up.resets_in_seconds = earliest
  return new UpstreamError({
    code: last.code,
    kind: last.kind,
    message,
    status: last.status,
    upstreamStatus: last.upstreamStatus,
    upstreamError: up,
    resetsAt: is429 ? Math.floor(pool.settings.clock() / 1000) + earliest : last.resetsAt,
    resetsInSeconds: is429 ? earliest : last.resetsInSeconds,
    retryAfterSeconds: is429 ? earliest : last.retryAfterSeconds,
    headers: last.headers,
    event: last.event,
    cause: last,
  })
}

import { UpstreamError } from '../errors'
import { exhaustedError } from './exhausted'
import { callHook } from './failure'
import { nonNegative } from './settings'
import type { MemberState, PoolState } from './state'
import type {
  AttemptInfo,
  BenchKind,
  PoolFailure,
  PoolMember,
  PoolRequest,
  PoolResult,
  PoolRunOptions,
} from './types'

interface Failed<A> {
  account: A
  error: unknown
  failure: PoolFailure
  bench: number
}

type Attempt<A, T> = (account: A, info: AttemptInfo) => Promise<T>

/** One pass over the planned order: the first success, or the last failure of the pass. */
async function runPass<A extends PoolMember, T>(
  pool: PoolState<A>,
  request: PoolRequest,
  attempt: Attempt<A, T>,
  pass: { index: number; attempts: number; signal: AbortSignal | undefined },
): Promise<{ ok: PoolResult<A, T> } | { failed: Failed<A> }> {
  const { hooks, classify } = pool.settings
  const { order, affinity: pinned } = pool.plan(request)
  if (order.length === 0) {
    throw new UpstreamError({
      code: 'auth_missing',
      message: 'No ChatGPT login found. Run `airelays login` first.',
    })
  }
  let last: Failed<A> | null = null
  for (const account of order) {
    const state = pool.stateOf(account.slug) as MemberState
    if (last) {
      callHook(hooks.onFailover, {
        from: last.account,
        to: account,
        reason: last.failure.code ?? last.failure.kind,
        kind: last.failure.kind as BenchKind,
        cooldownSeconds: last.bench,
      })
    }
    state.lastSelected = ++pool.sequence
    state.attempts++
    const info: AttemptInfo = { attempt: pass.attempts++, pass: pass.index, affinity: account === pinned }
    if (pool.members.length >= 2) {
      callHook(hooks.onSelected, {
        account,
        attempt: info.attempt,
        pass: pass.index,
        affinity: info.affinity,
      })
    }
    try {
      const value = await attempt(account, info)
      pool.recordSuccess(account.slug, request)
      return { ok: { value, account, attempts: pass.attempts } }
    } catch (error) {
      const failure = classify(error)
      if (failure.kind === 'client' || failure.kind === 'abort' || pass.signal?.aborted) throw error
      last = { account, error, failure, bench: pool.recordFailure(account.slug, failure) }
    }
  }
  return { failed: last as Failed<A> }
}

/**
 * `AccountPool.run`: tries members in planned order, fails over on account failures, repeats the
 * whole pass after a backoff while the last failure is transient and retry passes remain.
 */
export async function runPool<A extends PoolMember, T>(
  pool: PoolState<A>,
  request: PoolRequest,
  attempt: Attempt<A, T>,
  runOptions?: PoolRunOptions,
): Promise<PoolResult<A, T>> {
  const { hooks, retryAttempts, backoff, sleep } = pool.settings
  const signal = runOptions?.signal
  const passes =
    runOptions?.retry?.attempts === undefined
      ? retryAttempts
      : Math.floor(nonNegative('retry.attempts', runOptions.retry.attempts, 0))
  const delays = runOptions?.retry?.backoffSeconds?.length ? [...runOptions.retry.backoffSeconds] : backoff
  const progress = { index: 0, attempts: 0, signal }
  for (; ; progress.index++) {
    const outcome = await runPass(pool, request, attempt, progress)
    if ('ok' in outcome) return outcome.ok
    const final = outcome.failed
    const pass = progress.index
    if (final.failure.kind === 'transient' && pass < passes) {
      const delaySeconds = delays[Math.min(pass, delays.length - 1)] as number
      callHook(hooks.onRetry, { pass: pass + 1, delaySeconds, reason: final.failure.message ?? 'transient' })
      await sleep(delaySeconds * 1000, signal)
      continue
    }
    throw exhaustedError(pool, final.error)
  }
}

import { runPool } from './run'
import { resolvePoolSettings } from './settings'
import { PoolState } from './state'
import type { AccountPool, AccountPoolOptions, PoolMember, PoolRequest, UsageProbe } from './types'

export { classifyPoolFailure } from './failure'

/**
 * Creates an account pool (reference §9 "Multi-account pool"): selection by affinity and balance
 * mode, model-aware skipping, benches (quota for the reset time, else the cooldown; login failures
 * 300 s; transient failures min(30, cooldown) s; only ever extended), failover and the "all
 * accounts" wording. No timers, no I/O: the caller feeds usage readings and catalogs, and
 * `refreshUsage` runs only when called.
 *
 * The pieces: `settings.ts` (defaults and checks), `state.ts` (members, benches, selection order),
 * `run.ts` (attempts, failover, retry passes), `exhausted.ts` (the "all accounts" wording).
 */
export function createAccountPool<A extends PoolMember>(options: AccountPoolOptions<A> = {}): AccountPool<A> {
  const pool = new PoolState<A>(resolvePoolSettings(options))
  if (options.members) pool.setMembers(options.members)
  return {
    balance: pool.settings.balance,
    get size(): number {
      return pool.members.length
    },
    members: (): A[] => [...pool.members],
    setMembers: (next) => pool.setMembers(next),
    plan: (request?: PoolRequest): A[] => pool.plan(request).order,
    run: (request, attempt, runOptions) => runPool(pool, request, attempt, runOptions),
    recordSuccess: (slug, request) => pool.recordSuccess(slug, request),
    recordFailure: (slug, failure) => pool.recordFailure(slug, failure),
    recordUsage: (slug, signal, opts) => pool.recordUsage(slug, signal, opts),
    setModels: (slug, models) => pool.setModels(slug, models),
    async refreshUsage(probe: UsageProbe<A>, opts?: { force?: boolean }): Promise<void> {
      await Promise.all(pool.members.map((m) => pool.probe(m, probe, opts?.force === true)))
    },
    status: () => pool.status(),
    allBenched: () => pool.allBenched(),
    earliestRetrySeconds: () => pool.earliestRetrySeconds(),
  }
}

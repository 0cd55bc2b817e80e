import { defaultSleep } from '../_internal/sleep'
import { classifyPoolFailure } from './failure'
import type { AccountPoolHooks, AccountPoolOptions, BalanceMode, PoolFailure, PoolMember } from './types'

const BALANCE_MODES: readonly BalanceMode[] = ['balanced', 'round_robin', 'ordered']

/** `AccountPoolOptions` with every default applied and every number checked. */
export interface PoolSettings<A extends PoolMember> {
  balance: BalanceMode
  cooldown: number
  transientBench: number
  authBench: number
  freshMs: number
  usageCacheMs: number
  affinityLimit: number
  rememberLimit: number
  retryAttempts: number
  backoff: number[]
  classify: (error: unknown) => PoolFailure
  clock: () => number
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  hooks: AccountPoolHooks<A>
}

export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`createAccountPool: ${name} must be a finite, non-negative number, got ${String(v)}`)
  }
  return v
}

/** Applies the documented defaults of `AccountPoolOptions`; throws `RangeError` on a bad value. */
export function resolvePoolSettings<A extends PoolMember>(options: AccountPoolOptions<A>): PoolSettings<A> {
  const balance = options.balance ?? 'balanced'
  if (!BALANCE_MODES.includes(balance)) {
    throw new RangeError(
      `createAccountPool: balance must be one of ${BALANCE_MODES.join(', ')}, got ${String(balance)}`,
    )
  }
  const cooldown = nonNegative('cooldownSeconds', options.cooldownSeconds, 300)
  return {
    balance,
    cooldown,
    transientBench: nonNegative(
      'transientBenchSeconds',
      options.transientBenchSeconds,
      Math.min(30, cooldown),
    ),
    authBench: nonNegative('authBenchSeconds', options.authBenchSeconds, 300),
    freshMs: nonNegative('freshSignalSeconds', options.freshSignalSeconds, 900) * 1000,
    usageCacheMs: nonNegative('usageCacheSeconds', options.usageCacheSeconds, 60) * 1000,
    affinityLimit: Math.max(1, Math.floor(nonNegative('affinityLimit', options.affinityLimit, 5000))),
    rememberLimit: Math.floor(nonNegative('rememberedBenches', options.rememberedBenches, 64)),
    retryAttempts: Math.floor(nonNegative('retry.attempts', options.retry?.attempts, 0)),
    backoff: options.retry?.backoffSeconds?.length ? [...options.retry.backoffSeconds] : [5, 20, 60],
    classify: options.classify ?? classifyPoolFailure,
    clock: options.clock ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    hooks: options.hooks ?? {},
  }
}

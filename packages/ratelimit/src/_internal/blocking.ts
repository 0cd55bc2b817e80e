import { isLoopback } from '../loopback'
import type { RateLimitRejection } from '../rejections'
import type { RateLimitClientState } from '../store'
import type { BlockStatus, FailureResult } from '../types'
import { touch } from './clients'
import { blockedRejection } from './rejections'
import { ceilSeconds, keyOf, type LimiterState, tick } from './state'

// Failed-auth blocking: failures counted in a sliding window; at the threshold the IP is blocked.

export function failuresInWindow(state: LimiterState, s: RateLimitClientState, now: number): number {
  const f = s.failures
  if (f === null) return 0
  let i = 0
  while (i < f.length && now - f[i]! >= state.windowMs) i++
  return f.length - i
}

/**
 * The admission check for a block: the rejection while `s` is blocked (unless the loopback
 * exemption applies), else null. An expired block is cleared.
 */
export function blockRejection(
  state: LimiterState,
  s: RateLimitClientState,
  now: number,
  request: { key: string; credentialValid: boolean | undefined },
): RateLimitRejection | null {
  if (s.blockedUntil === 0) return null
  if (now >= s.blockedUntil) {
    s.blockedUntil = 0
    return null
  }
  const exempt =
    state.settings.exemptLoopbackWithValidCredential &&
    request.credentialValid === true &&
    isLoopback(request.key)
  return exempt ? null : blockedRejection(ceilSeconds(s.blockedUntil - now))
}

/** {@link RateLimiter.recordFailure}. */
export function recordFailure(state: LimiterState, ip: string): FailureResult {
  const blockSeconds = state.settings.failedAuthBlockSeconds
  const key = keyOf(ip)
  const now = tick(state)
  const s = touch(state, key, now)
  if (now < s.blockedUntil) {
    return { blocked: true, attempts: failuresInWindow(state, s, now), blockSeconds }
  }
  let f = s.failures
  if (f === null) {
    f = []
    s.failures = f
  }
  while (f.length > 0 && now - f[0]! >= state.windowMs) f.shift()
  f.push(now)
  const attempts = f.length
  if (attempts >= state.settings.failedAuthMaxAttempts) {
    s.failures = null
    s.blockedUntil = now + state.blockMs
    state.blockedKeys.add(key)
    return { blocked: true, attempts, blockSeconds }
  }
  return { blocked: false, attempts, blockSeconds }
}

/** {@link RateLimiter.blockStatus}: read-only. */
export function blockStatus(state: LimiterState, ip: string): BlockStatus {
  const s = state.store.get(keyOf(ip))
  const now = tick(state)
  if (s === undefined || now >= s.blockedUntil) return { blocked: false, retryAfterSeconds: 0 }
  return { blocked: true, retryAfterSeconds: ceilSeconds(s.blockedUntil - now) }
}

/** Clients blocked at `now`; forgets keys whose block is over. */
export function countBlocked(state: LimiterState, now: number): number {
  let blocked = 0
  for (const key of state.blockedKeys) {
    const s = state.store.get(key)
    if (s !== undefined && now < s.blockedUntil) blocked++
    else state.blockedKeys.delete(key)
  }
  return blocked
}

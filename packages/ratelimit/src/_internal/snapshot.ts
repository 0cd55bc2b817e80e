import type { RateLimitClientSnapshot, RateLimitSnapshot } from '../types'
import { countBlocked, failuresInWindow } from './blocking'
import { tokensAt } from './buckets'
import { sweepExpired } from './clients'
import { ceilSeconds, EPSILON, keyOf, type LimiterState, tick } from './state'

/** {@link RateLimiter.snapshot}: a full idle sweep, then the counters. Creates no state for `ip`. */
export function snapshot(state: LimiterState, ip?: string): RateLimitSnapshot {
  const now = tick(state)
  sweepExpired(state, now, Number.POSITIVE_INFINITY)
  const blockedClients = countBlocked(state, now)
  return {
    tracked_clients: state.store.size,
    blocked_clients: blockedClients,
    active_clients: state.activeClients,
    client: ip === undefined ? null : clientSnapshot(state, keyOf(ip), now),
  }
}

function clientSnapshot(state: LimiterState, key: string, now: number): RateLimitClientSnapshot {
  const s = state.store.get(key)
  if (s === undefined) {
    return {
      ip: key,
      allowance_remaining: state.burst,
      active_requests: 0,
      failed_auth_attempts: 0,
      blocked_for_seconds: 0,
    }
  }
  const tokens = tokensAt(state, s, now)
  return {
    ip: key,
    allowance_remaining: Math.max(0, Math.floor(tokens * 100 + EPSILON) / 100),
    active_requests: s.active,
    failed_auth_attempts: failuresInWindow(state, s, now),
    blocked_for_seconds: now < s.blockedUntil ? ceilSeconds(s.blockedUntil - now) : 0,
  }
}

import type { RateLimitClientState } from '../store'
import type { TakeResult } from '../types'
import { touch } from './clients'
import { ceilSeconds, EPSILON, keyOf, type LimiterState, tick } from './state'

// Token buckets: `burst` tokens, refilled continuously at `perMinute / 60` per second.

const TAKE_DENIED_1S: TakeResult = Object.freeze({ allowed: false, retryAfterSeconds: 1 })

/** Adds the tokens earned since the last refill, up to `burst`. */
export function refill(state: LimiterState, s: RateLimitClientState, now: number): void {
  const elapsed = now - s.refilledAt
  if (elapsed > 0) {
    const tokens = s.tokens + (elapsed * state.perMinute) / 60_000
    s.tokens = Math.min(tokens, state.burst)
    s.refilledAt = now
  }
}

/** Whether the (refilled) bucket holds less than one whole token. */
export function isEmpty(s: RateLimitClientState): boolean {
  return s.tokens < 1 - EPSILON
}

/** Whole tokens left. */
export function remainingOf(s: RateLimitClientState): number {
  const whole = Math.floor(s.tokens + EPSILON)
  return Math.max(whole, 0)
}

/** Seconds until the bucket holds one whole token again. */
export function retryAfterForToken(state: LimiterState, s: RateLimitClientState): number {
  return ceilSeconds(((1 - s.tokens) * 60_000) / state.perMinute)
}

/** Tokens in the bucket at `now`, without refilling it (for the status snapshot). */
export function tokensAt(state: LimiterState, s: RateLimitClientState, now: number): number {
  const elapsed = now - s.refilledAt
  return Math.min(state.burst, s.tokens + (elapsed > 0 ? (elapsed * state.perMinute) / 60_000 : 0))
}

/** {@link RateLimiter.take}: one token from `keyInput`'s bucket. */
export function take(state: LimiterState, keyInput: string): TakeResult {
  const key = keyOf(keyInput)
  const now = tick(state)
  const s = touch(state, key, now)
  refill(state, s, now)
  if (isEmpty(s)) {
    const retryAfterSeconds = retryAfterForToken(state, s)
    return retryAfterSeconds === 1 ? TAKE_DENIED_1S : { allowed: false, retryAfterSeconds }
  }
  s.tokens -= 1
  return { allowed: true, remaining: remainingOf(s) }
}

import type { RateLimitClientState } from '../store'
import type { AcquireResult } from '../types'
import { markSeen, touch } from './clients'
import { keyOf, type LimiterState, tick } from './state'

// Concurrency slots: at most `maxConcurrent` requests in flight per client.

const ACQUIRE_DENIED: AcquireResult = Object.freeze({ ok: false, retryAfterSeconds: 1 })

/** Whether every slot of the client is taken. */
export function isFull(state: LimiterState, s: RateLimitClientState): boolean {
  return s.active >= state.maxConcurrent
}

export function holdSlot(state: LimiterState, s: RateLimitClientState): void {
  if (s.active === 0) state.activeClients++
  s.active++
}

/** The idempotent `release` handed out with a slot. */
export function releaser(state: LimiterState, key: string, s: RateLimitClientState): () => void {
  let released = false
  return () => {
    if (released) return
    released = true
    if (s.active <= 0) return
    s.active--
    // A state dropped at the hard cap while busy was already uncounted and is not stored.
    const { orphans } = state
    if (orphans.size !== 0 && orphans.has(s)) {
      if (s.active === 0) orphans.delete(s)
      return
    }
    if (s.active === 0) state.activeClients--
    // The last clock reading stands in for now (saves a clock read per request). It can only
    // start the idle horizon earlier, never later, and an entry is still dropped only when its
    // bucket is full, its failures are out of the window and its block is over, all of which were
    // timed at or before that reading.
    markSeen(state, key, s, state.lastNow)
  }
}

/** {@link RateLimiter.acquire}: one concurrency slot for `keyInput`. */
export function acquire(state: LimiterState, keyInput: string): AcquireResult {
  const key = keyOf(keyInput)
  const s = touch(state, key, tick(state))
  if (isFull(state, s)) return ACQUIRE_DENIED
  holdSlot(state, s)
  return { ok: true, release: releaser(state, key, s) }
}

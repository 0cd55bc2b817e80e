import { blockRejection, blockStatus, recordFailure } from './_internal/blocking'
import { isEmpty, refill, remainingOf, retryAfterForToken, take } from './_internal/buckets'
import { sweepExpired, touch } from './_internal/clients'
import { resolveOptions } from './_internal/options'
import { CONCURRENCY_REJECTION, RATE_REJECTION_1S, rateRejection } from './_internal/rejections'
import { acquire, holdSlot, isFull, releaser } from './_internal/slots'
import { snapshot } from './_internal/snapshot'
import { createLimiterState, keyOf, type LimiterState, tick } from './_internal/state'
import type { RateLimitClientState } from './store'
import type { Admission, AdmitOptions, RateLimiter, RateLimiterOptions } from './types'

// One LimiterState (`_internal/state.ts`) shared by:
//   clients.ts   the client table (create, touch, idle sweep, eviction at the hard cap)
//   buckets.ts   token buckets (take)
//   slots.ts     concurrency slots (acquire, release)
//   blocking.ts  failed-auth blocking (recordFailure, blockStatus)
//   snapshot.ts  the status counters
// This factory wires the methods to them; `admit` composes all three checks in the reference order.

const ADMIT_CONCURRENCY_DENIED: Admission = Object.freeze({ ok: false, rejection: CONCURRENCY_REJECTION })
const ADMIT_RATE_DENIED_1S: Admission = Object.freeze({ ok: false, rejection: RATE_REJECTION_1S })

/**
 * Create a rate limiter. Validates `options` and throws a {@link RateLimiterError} with code
 * `ratelimit_invalid_option` when one is invalid or unknown; nothing else ever throws.
 *
 * No timers are started: expired client state is swept lazily, a bounded number of entries per
 * operation, so the limiter never keeps a process alive and needs no `close()`.
 */
export function createRateLimiter(options?: RateLimiterOptions): RateLimiter {
  const state = createLimiterState(resolveOptions(options))
  return {
    settings: state.settings,
    admit: (ip, admitOptions) => admit(state, ip, admitOptions),
    take: (key) => take(state, key),
    acquire: (key) => acquire(state, key),
    recordFailure: (ip) => recordFailure(state, ip),
    blockStatus: (ip) => blockStatus(state, ip),
    snapshot: (ip) => snapshot(state, ip),
    sweep: () => sweepExpired(state, tick(state), Number.POSITIVE_INFINITY),
  }
}

function rateDenied(state: LimiterState, s: RateLimitClientState): Admission {
  const retryAfterSeconds = retryAfterForToken(state, s)
  return retryAfterSeconds === 1
    ? ADMIT_RATE_DENIED_1S
    : { ok: false, rejection: rateRejection(retryAfterSeconds) }
}

/**
 * {@link RateLimiter.admit}. A blocked client pays a token **before** the block check, whatever
 * its credential, and gets `rate_limit_exceeded` once its bucket is empty: every answer from a
 * blocked address (200 for the valid token on loopback, 429 for a wrong one) is throttled to the
 * bucket's rate, so a block cannot be used as a fast guessing oracle (issue 26, item 2). A client
 * that is not blocked goes through concurrency, then rate; on success a token and a slot (only the
 * slot for a `free` request).
 */
function admit(state: LimiterState, ip: string, options: AdmitOptions | undefined): Admission {
  const key = keyOf(ip)
  const now = tick(state)
  const s = touch(state, key, now)
  let charged = false
  if (s.blockedUntil !== 0 && now < s.blockedUntil) {
    refill(state, s, now)
    if (isEmpty(s)) return rateDenied(state, s)
    s.tokens -= 1
    charged = true
  }
  if (s.blockedUntil !== 0) {
    const rejection = blockRejection(state, s, now, { key, credentialValid: options?.credentialValid })
    if (rejection !== null) return { ok: false, rejection }
  }
  if (isFull(state, s)) return ADMIT_CONCURRENCY_DENIED
  if (!charged && options?.free !== true) {
    refill(state, s, now)
    if (isEmpty(s)) return rateDenied(state, s)
    s.tokens -= 1
  }
  holdSlot(state, s)
  return { ok: true, release: releaser(state, key, s), remaining: remainingOf(s) }
}

import { blockRejection, blockStatus, recordFailure } from './_internal/blocking'
import { isEmpty, refill, remainingOf, retryAfterForToken, take } from './_internal/buckets'
import { sweepExpired, touch } from './_internal/clients'
import { resolveOptions } from './_internal/options'
import { CONCURRENCY_REJECTION, RATE_REJECTION_1S, rateRejection } from './_internal/rejections'
import { snapshot } from './_internal/snapshot'
import { acquire, holdSlot, isFull, releaser } from './_internal/slots'
import { createLimiterState, keyOf, type LimiterState, tick } from './_internal/state'
import type { AdmitOptions, Admission, RateLimiter, RateLimiterOptions } from './types'

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

/** {@link RateLimiter.admit}: block, then concurrency, then rate; on success a token and a slot. */
function admit(state: LimiterState, ip: string, options: AdmitOptions | undefined): Admission {
  const key = keyOf(ip)
  const now = tick(state)
  const s = touch(state, key, now)
  if (s.blockedUntil !== 0) {
    const rejection = blockRejection(state, s, now, { key, credentialValid: options?.credentialValid })
    if (rejection !== null) return { ok: false, rejection }
  }
  if (isFull(state, s)) return ADMIT_CONCURRENCY_DENIED
  refill(state, s, now)
  if (isEmpty(s)) {
    const retryAfterSeconds = retryAfterForToken(state, s)
    return retryAfterSeconds === 1
      ? ADMIT_RATE_DENIED_1S
      : { ok: false, rejection: rateRejection(retryAfterSeconds) }
  }
  s.tokens -= 1
  holdSlot(state, s)
  return { ok: true, release: releaser(state, key, s), remaining: remainingOf(s) }
}

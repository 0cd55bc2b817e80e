import { resolveOptions } from './_internal/options'
import {
  blockedRejection,
  CONCURRENCY_REJECTION,
  RATE_REJECTION_1S,
  rateRejection,
} from './_internal/rejections'
import { isLoopback } from './loopback'
import type { RateLimitRejection } from './rejections'
import type { RateLimitClientState, RateLimitStore } from './store'

/**
 * Options of {@link createRateLimiter}. Every field is optional; `undefined` means the default.
 *
 * This package reads no environment variables. The environment names below are those
 * `@airelays/config` resolves (with `AIRELAY_*` legacy fallbacks) into these options.
 */
export interface RateLimiterOptions {
  /**
   * Sustained request rate per client, in requests per minute. The bucket refills continuously at
   * `perMinute / 60` tokens per second. Finite, greater than 0.
   * @default 120
   * Config `[security] rate_limit_per_minute`, env `AIRELAYS_RATE_LIMIT_PER_MINUTE`.
   */
  perMinute?: number
  /**
   * Bucket size, in requests: a new client starts with this many tokens, and it is the most it
   * can send at once. Whole number ≥ 1.
   * @default 40
   * Config `[security] rate_limit_burst`, env `AIRELAYS_RATE_LIMIT_BURST`.
   */
  burst?: number
  /**
   * Concurrency slots per client, in requests in flight. Whole number ≥ 1.
   * @default 50
   * Config `[security] concurrent_requests_per_ip`, env `AIRELAYS_CONCURRENT_REQUESTS_PER_IP`.
   */
  maxConcurrent?: number
  /**
   * Failed authentications from one IP, within the window, that trigger a block. The failure that
   * reaches this count is still answered 401 by the caller; later requests get 429.
   * Whole number ≥ 1.
   * @default 8
   * Config `[security] failed_auth_max_attempts`, env `AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS`.
   */
  failedAuthMaxAttempts?: number
  /**
   * Window for counting failed authentications, in seconds. A failure counts while it is younger
   * than this. Finite, greater than 0.
   * @default 300
   * Config `[security] failed_auth_window_seconds`, env `AIRELAYS_FAILED_AUTH_WINDOW_SECONDS`.
   */
  failedAuthWindowSeconds?: number
  /**
   * Length of a block, in seconds. Finite, greater than 0.
   * @default 900
   * Config `[security] failed_auth_block_seconds`, env `AIRELAYS_FAILED_AUTH_BLOCK_SECONDS`.
   */
  failedAuthBlockSeconds?: number
  /**
   * Design decision 3.3: during a block, a loopback client (see {@link isLoopback}) whose request
   * carries the valid relay token is still served, so one local tool with a stale token cannot lock
   * out the others. Remote clients stay fully blocked. `false` restores the reference behaviour
   * (every request from a blocked IP gets 429).
   * @default true
   */
  exemptLoopbackWithValidCredential?: boolean
  /**
   * Hard cap on tracked client keys. When a new key arrives at the cap, the least recently seen
   * idle client is dropped first (then one without active requests, then the least recently seen).
   * Whole number ≥ 1.
   * @default 100000
   */
  maxTrackedClients?: number
  /**
   * Time source: a function returning milliseconds, the one clock shape of AIRelays (`Clock` of
   * @airelays/upstream-client, e.g. `Date.now`). Only differences matter; it should not go
   * backwards. Inject a fake clock in tests.
   * @default a monotonic clock (`performance.now()`)
   */
  clock?: () => number
  /**
   * Where client state lives.
   * @default createMemoryStore()
   */
  store?: RateLimitStore
}

/** The resolved, frozen settings of a limiter (options with defaults applied). */
export interface RateLimiterSettings {
  readonly perMinute: number
  readonly burst: number
  readonly maxConcurrent: number
  readonly failedAuthMaxAttempts: number
  readonly failedAuthWindowSeconds: number
  readonly failedAuthBlockSeconds: number
  readonly exemptLoopbackWithValidCredential: boolean
  readonly maxTrackedClients: number
  /**
   * Seconds after which an idle client's state is dropped: max(window, block, 3600, time to refill
   * an empty bucket). Idle = no active requests, no block, no failure inside the window.
   */
  readonly idleSeconds: number
}

/** Per-request input of {@link RateLimiter.admit}. */
export interface AdmitOptions {
  /**
   * Whether the request carries the valid relay token (the server compares it, in constant time).
   * Only consulted while the IP is blocked: a loopback client with `true` is then served.
   * Leave `undefined` (or `false`) when no token was presented, it is wrong, or auth is off.
   */
  credentialValid?: boolean
}

/** Result of {@link RateLimiter.admit}. */
export type Admission =
  | {
      readonly ok: true
      /** Frees the concurrency slot. Idempotent: calling it again does nothing. */
      readonly release: () => void
      /** Whole tokens left in the client's bucket after this request. */
      readonly remaining: number
    }
  | { readonly ok: false; readonly rejection: RateLimitRejection }

/** Result of {@link RateLimiter.take}. */
export type TakeResult =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number }

/** Result of {@link RateLimiter.acquire}. */
export type AcquireResult =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly retryAfterSeconds: 1 }

/** Result of {@link RateLimiter.recordFailure}. */
export interface FailureResult {
  /** True when the IP is blocked now (this failure reached the threshold, or a block was active). */
  readonly blocked: boolean
  /** Failures counted inside the window, this one included (the threshold when it just blocked). */
  readonly attempts: number
  /** The configured block length in seconds (for the `endpoint_auth_failed` log record). */
  readonly blockSeconds: number
}

/** Result of {@link RateLimiter.blockStatus}. */
export interface BlockStatus {
  readonly blocked: boolean
  /** ceil(seconds left), at least 1, while blocked; 0 otherwise. */
  readonly retryAfterSeconds: number
}

/** One client in {@link RateLimitSnapshot} (snake_case: it is served as-is by `/v1/relay/status`). */
export interface RateLimitClientSnapshot {
  readonly ip: string
  /** Tokens in the bucket now, rounded down to 2 decimals. */
  readonly allowance_remaining: number
  readonly active_requests: number
  readonly failed_auth_attempts: number
  /** ceil(seconds left in the block), 0 when not blocked. */
  readonly blocked_for_seconds: number
}

/** Limiter counters for `/v1/relay/status` (`security` section). */
export interface RateLimitSnapshot {
  readonly tracked_clients: number
  readonly blocked_clients: number
  readonly active_clients: number
  /** The asking client, or `null` when `snapshot()` was called without an ip. */
  readonly client: RateLimitClientSnapshot | null
}

/**
 * Per-client token buckets, concurrency slots and failed-auth blocking. Every method is
 * synchronous, O(1) amortised (except `snapshot` and `sweep`), and never throws.
 *
 * Keys are used verbatim (no trimming or address normalisation); an empty or non-string key is
 * tracked as `"unknown"`, and keys longer than 256 characters are cut to 256.
 */
export interface RateLimiter {
  /** The resolved settings. */
  readonly settings: RateLimiterSettings
  /**
   * The whole security gate of the reference, in its order: (1) active IP block → 429
   * `ip_temporarily_blocked` (unless loopback with a valid credential, see
   * `exemptLoopbackWithValidCredential`); (2) concurrency → 429 `too_many_concurrent_requests`;
   * (3) token bucket → 429 `rate_limit_exceeded`; (4) on admission one token is taken and one slot
   * held. The caller then checks the bearer token (step 5); on failure it calls `release()` at once
   * and {@link RateLimiter.recordFailure}, and answers 401.
   */
  admit(ip: string, options?: AdmitOptions): Admission
  /** Take one token from `key`'s bucket (no block or concurrency check). */
  take(key: string): TakeResult
  /** Hold one concurrency slot for `key` (no block or rate check). */
  acquire(key: string): AcquireResult
  /** Count one failed authentication for `ip`; blocks it when the threshold is reached. */
  recordFailure(ip: string): FailureResult
  /** Whether `ip` is blocked now. Read-only: creates no state. */
  blockStatus(ip: string): BlockStatus
  /** Counters for the status endpoint; runs a full idle sweep first. Creates no state for `ip`. */
  snapshot(ip?: string): RateLimitSnapshot
  /** Drop every idle client whose idle horizon has passed; returns how many were dropped. */
  sweep(): number
}

const MAX_KEY_LENGTH = 256
/**
 * A touched entry is moved to the recent end of the store at most once per this many ms, which
 * saves a Map delete + insert on most requests; idle entries may be dropped up to this much late.
 */
const REORDER_MS = 1000
/** Entries examined by the incremental idle sweep per operation. */
const SWEEP_BUDGET = 16
/** Entries examined, least recently seen first, to pick a victim at the hard cap. */
const CAP_SCAN = 64
/** Float tolerance so that e.g. 0.9999999999 tokens count as one. */
const EPSILON = 1e-9

const ACQUIRE_DENIED: AcquireResult = Object.freeze({ ok: false, retryAfterSeconds: 1 })
const TAKE_DENIED_1S: TakeResult = Object.freeze({ allowed: false, retryAfterSeconds: 1 })
const ADMIT_CONCURRENCY_DENIED: Admission = Object.freeze({ ok: false, rejection: CONCURRENCY_REJECTION })
const ADMIT_RATE_DENIED_1S: Admission = Object.freeze({ ok: false, rejection: RATE_REJECTION_1S })

function keyOf(ip: unknown): string {
  if (typeof ip !== 'string' || ip.length === 0) return 'unknown'
  return ip.length > MAX_KEY_LENGTH ? ip.slice(0, MAX_KEY_LENGTH) : ip
}

/** Whole seconds for a Retry-After header: ceil, at least 1, tolerant of float noise. */
function ceilSeconds(ms: number): number {
  const seconds = Math.ceil(ms / 1000 - EPSILON)
  return Math.max(seconds, 1)
}

/**
 * Create a rate limiter. Validates `options` and throws a {@link RateLimiterError} with code
 * `ratelimit_invalid_option` when one is invalid or unknown; nothing else ever throws.
 *
 * No timers are started: expired client state is swept lazily, a bounded number of entries per
 * operation, so the limiter never keeps a process alive and needs no `close()`.
 */
export function createRateLimiter(options?: RateLimiterOptions): RateLimiter {
  const { settings, clock, store } = resolveOptions(options)
  const {
    perMinute,
    burst,
    maxConcurrent,
    failedAuthMaxAttempts,
    failedAuthBlockSeconds,
    maxTrackedClients,
    exemptLoopbackWithValidCredential,
  } = settings
  const windowMs = settings.failedAuthWindowSeconds * 1000
  const blockMs = failedAuthBlockSeconds * 1000
  const idleMs = settings.idleSeconds * 1000

  /** Keys that were blocked at some point; pruned lazily by snapshot(). */
  const blockedKeys = new Set<string>()
  /** States dropped at the hard cap while they still held slots; their releases are not counted. */
  const orphans = new Set<RateLimitClientState>()
  /** Number of stored clients with at least one active slot. */
  let activeClients = 0
  for (const [key, state] of store.entries()) {
    if (state.active > 0) activeClients++
    if (state.blockedUntil !== 0) blockedKeys.add(key)
  }
  /** Earliest clock time at which the oldest entry can expire. */
  let nextSweepAt = store.size > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  let lastNow = Number.NEGATIVE_INFINITY

  /** Clock reading clamped to be monotonic (a clock going back, or NaN, reads as the last time). */
  function tick(): number {
    const t = clock.now()
    if (t >= lastNow) lastNow = t
    return lastNow
  }

  function hasRecentFailure(s: RateLimitClientState, now: number): boolean {
    const f = s.failures
    return f !== null && f.length > 0 && now - f[f.length - 1]! < windowMs
  }

  function isIdle(s: RateLimitClientState, now: number): boolean {
    return s.active === 0 && now >= s.blockedUntil && !hasRecentFailure(s, now)
  }

  function evict(key: string, s: RateLimitClientState): void {
    store.delete(key)
    if (s.active > 0) {
      activeClients--
      orphans.add(s)
    }
  }

  /** Mark `s` as seen at `now`; move it to the recent end only when its position is stale. */
  function markSeen(key: string, s: RateLimitClientState, now: number): void {
    s.lastSeen = now
    if (now - s.orderedAt >= REORDER_MS) {
      s.orderedAt = now
      store.set(key, s)
    }
  }

  /**
   * Drop expired idle entries from the least recently ordered end. The store is ordered by
   * `orderedAt` and every idle entry has `orderedAt <= lastSeen < orderedAt + REORDER_MS`, so the
   * walk stops at the first entry that is not yet due: later entries are due at most REORDER_MS
   * earlier than it. Entries past the horizon that are still busy (a long request holds a slot) are
   * moved to the back so they cannot stall the sweep; their idle time starts at release anyway.
   */
  function sweepExpired(now: number, budget: number): number {
    let evicted = 0
    let visited = 0
    for (const [key, s] of store.entries()) {
      if (now - s.orderedAt < idleMs) {
        nextSweepAt = s.orderedAt + idleMs
        return evicted
      }
      if (visited >= budget) {
        nextSweepAt = now
        return evicted
      }
      visited++
      if (s.active === 0 && now - s.lastSeen < idleMs) {
        nextSweepAt = s.lastSeen + idleMs
        return evicted
      }
      if (isIdle(s, now)) {
        evict(key, s)
        evicted++
      } else {
        s.orderedAt = now
        store.set(key, s)
      }
    }
    nextSweepAt = Number.POSITIVE_INFINITY
    return evicted
  }

  /** At the hard cap: drop one entry, preferring the least recently seen idle one. */
  function makeRoom(now: number): void {
    let inactiveKey: string | undefined
    let inactiveState: RateLimitClientState | undefined
    let inactiveBlocked = true
    let oldestKey: string | undefined
    let oldestState: RateLimitClientState | undefined
    let scanned = 0
    for (const [key, s] of store.entries()) {
      if (oldestKey === undefined) {
        oldestKey = key
        oldestState = s
      }
      if (s.active === 0) {
        const blocked = now < s.blockedUntil
        if (!blocked && !hasRecentFailure(s, now)) {
          evict(key, s)
          return
        }
        if (inactiveKey === undefined || (inactiveBlocked && !blocked)) {
          inactiveKey = key
          inactiveState = s
          inactiveBlocked = blocked
        }
      }
      if (++scanned >= CAP_SCAN) break
    }
    if (inactiveKey !== undefined) evict(inactiveKey, inactiveState!)
    else if (oldestKey !== undefined) evict(oldestKey, oldestState!)
  }

  /** The live state for `key`, created (full bucket) when missing; marked as seen now. */
  function touch(key: string, now: number): RateLimitClientState {
    if (now >= nextSweepAt) sweepExpired(now, SWEEP_BUDGET)
    let s = store.get(key)
    if (s === undefined) {
      let guard = store.size
      while (store.size >= maxTrackedClients && guard-- > 0) makeRoom(now)
      s = {
        tokens: burst,
        refilledAt: now,
        active: 0,
        failures: null,
        blockedUntil: 0,
        lastSeen: now,
        orderedAt: now,
      }
      store.set(key, s)
      if (nextSweepAt > now + idleMs) nextSweepAt = now + idleMs
    } else {
      markSeen(key, s, now)
    }
    return s
  }

  function refill(s: RateLimitClientState, now: number): void {
    const elapsed = now - s.refilledAt
    if (elapsed > 0) {
      const tokens = s.tokens + (elapsed * perMinute) / 60_000
      s.tokens = Math.min(tokens, burst)
      s.refilledAt = now
    }
  }

  function remainingOf(s: RateLimitClientState): number {
    const whole = Math.floor(s.tokens + EPSILON)
    return Math.max(whole, 0)
  }

  function retryAfterForToken(s: RateLimitClientState): number {
    return ceilSeconds(((1 - s.tokens) * 60_000) / perMinute)
  }

  function failuresInWindow(s: RateLimitClientState, now: number): number {
    const f = s.failures
    if (f === null) return 0
    let i = 0
    while (i < f.length && now - f[i]! >= windowMs) i++
    return f.length - i
  }

  function holdSlot(s: RateLimitClientState): void {
    if (s.active === 0) activeClients++
    s.active++
  }

  function releaser(key: string, s: RateLimitClientState): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      if (s.active <= 0) return
      s.active--
      // A state dropped at the hard cap while busy was already uncounted and is not stored.
      if (orphans.size !== 0 && orphans.has(s)) {
        if (s.active === 0) orphans.delete(s)
        return
      }
      if (s.active === 0) activeClients--
      // The last clock reading stands in for now (saves a clock read per request). It can only
      // start the idle horizon earlier, never later, and an entry is still dropped only when its
      // bucket is full, its failures are out of the window and its block is over, all of which were
      // timed at or before that reading.
      markSeen(key, s, lastNow)
    }
  }

  function admit(ip: string, options?: AdmitOptions): Admission {
    const key = keyOf(ip)
    const now = tick()
    const s = touch(key, now)
    if (s.blockedUntil !== 0) {
      if (now < s.blockedUntil) {
        if (!(exemptLoopbackWithValidCredential && options?.credentialValid === true && isLoopback(key))) {
          return { ok: false, rejection: blockedRejection(ceilSeconds(s.blockedUntil - now)) }
        }
      } else {
        s.blockedUntil = 0
      }
    }
    if (s.active >= maxConcurrent) return ADMIT_CONCURRENCY_DENIED
    refill(s, now)
    if (s.tokens < 1 - EPSILON) {
      const retryAfterSeconds = retryAfterForToken(s)
      return retryAfterSeconds === 1
        ? ADMIT_RATE_DENIED_1S
        : { ok: false, rejection: rateRejection(retryAfterSeconds) }
    }
    s.tokens -= 1
    holdSlot(s)
    return { ok: true, release: releaser(key, s), remaining: remainingOf(s) }
  }

  function take(keyInput: string): TakeResult {
    const key = keyOf(keyInput)
    const now = tick()
    const s = touch(key, now)
    refill(s, now)
    if (s.tokens < 1 - EPSILON) {
      const retryAfterSeconds = retryAfterForToken(s)
      return retryAfterSeconds === 1 ? TAKE_DENIED_1S : { allowed: false, retryAfterSeconds }
    }
    s.tokens -= 1
    return { allowed: true, remaining: remainingOf(s) }
  }

  function acquire(keyInput: string): AcquireResult {
    const key = keyOf(keyInput)
    const s = touch(key, tick())
    if (s.active >= maxConcurrent) return ACQUIRE_DENIED
    holdSlot(s)
    return { ok: true, release: releaser(key, s) }
  }

  function recordFailure(ip: string): FailureResult {
    const key = keyOf(ip)
    const now = tick()
    const s = touch(key, now)
    if (now < s.blockedUntil) {
      return { blocked: true, attempts: failuresInWindow(s, now), blockSeconds: failedAuthBlockSeconds }
    }
    let f = s.failures
    if (f === null) {
      f = []
      s.failures = f
    }
    while (f.length > 0 && now - f[0]! >= windowMs) f.shift()
    f.push(now)
    const attempts = f.length
    if (attempts >= failedAuthMaxAttempts) {
      s.failures = null
      s.blockedUntil = now + blockMs
      blockedKeys.add(key)
      return { blocked: true, attempts, blockSeconds: failedAuthBlockSeconds }
    }
    return { blocked: false, attempts, blockSeconds: failedAuthBlockSeconds }
  }

  function blockStatus(ip: string): BlockStatus {
    const s = store.get(keyOf(ip))
    const now = tick()
    if (s === undefined || now >= s.blockedUntil) return { blocked: false, retryAfterSeconds: 0 }
    return { blocked: true, retryAfterSeconds: ceilSeconds(s.blockedUntil - now) }
  }

  function snapshot(ip?: string): RateLimitSnapshot {
    const now = tick()
    sweepExpired(now, Number.POSITIVE_INFINITY)
    let blockedClients = 0
    for (const key of blockedKeys) {
      const s = store.get(key)
      if (s !== undefined && now < s.blockedUntil) blockedClients++
      else blockedKeys.delete(key)
    }
    let client: RateLimitClientSnapshot | null = null
    if (ip !== undefined) {
      const key = keyOf(ip)
      const s = store.get(key)
      if (s === undefined) {
        client = {
          ip: key,
          allowance_remaining: burst,
          active_requests: 0,
          failed_auth_attempts: 0,
          blocked_for_seconds: 0,
        }
      } else {
        const elapsed = now - s.refilledAt
        const tokens = Math.min(burst, s.tokens + (elapsed > 0 ? (elapsed * perMinute) / 60_000 : 0))
        client = {
          ip: key,
          allowance_remaining: Math.max(0, Math.floor(tokens * 100 + EPSILON) / 100),
          active_requests: s.active,
          failed_auth_attempts: failuresInWindow(s, now),
          blocked_for_seconds: now < s.blockedUntil ? ceilSeconds(s.blockedUntil - now) : 0,
        }
      }
    }
    return {
      tracked_clients: store.size,
      blocked_clients: blockedClients,
      active_clients: activeClients,
      client,
    }
  }

  function sweep(): number {
    return sweepExpired(tick(), Number.POSITIVE_INFINITY)
  }

  return { settings, admit, take, acquire, recordFailure, blockStatus, snapshot, sweep }
}

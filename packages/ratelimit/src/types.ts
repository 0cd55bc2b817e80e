// Public types of the rate limiter (see createRateLimiter in ./limiter).
import type { RateLimitRejection } from './rejections'
import type { RateLimitStore } from './store'

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
  /**
   * Take no token from the bucket: for cheap local reads made with the valid credential (a
   * dashboard polling the relay's own state). Ignored while the IP is blocked, where every request
   * pays a token; the concurrency cap applies as usual.
   * @default false
   */
  free?: boolean
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
 * Keys are client addresses: every loopback address (`127.0.0.0/8`, `::1`, mapped and numeric
 * spellings) is tracked as the one client `127.0.0.1`, other addresses by their canonical text
 * (`::ffff:192.0.2.1` is `192.0.2.1`); other text is used verbatim (no trimming). An empty or
 * non-string key is tracked as `"unknown"`, and keys longer than 256 characters are cut to 256.
 */
export interface RateLimiter {
  /** The resolved settings. */
  readonly settings: RateLimiterSettings
  /**
   * The whole security gate: (1) while the IP is blocked, one token is taken first, whatever the
   * credential (an empty bucket → 429 `rate_limit_exceeded`), then the block answers 429
   * `ip_temporarily_blocked` (unless loopback with a valid credential, see
   * `exemptLoopbackWithValidCredential`) — so answers to a blocked address are throttled to the
   * bucket's rate; (2) concurrency → 429 `too_many_concurrent_requests`; (3) token bucket → 429
   * `rate_limit_exceeded` (for a client that is not blocked); (4) on admission one token is taken
   * and one slot held. The caller then checks the bearer token (step 5); on failure it calls `release()` at once
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

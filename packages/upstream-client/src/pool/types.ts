import type { UsageSignal, UsageSnapshotLike } from './usage-signal'

/**
 * How a pool spreads requests over healthy accounts (`[providers.openai] balance`):
 * - `balanced`: the lowest used share of each account's longest usage window, among accounts
 *   whose usage reading is fresh; ties and accounts without a fresh reading go to the least
 *   recently selected;
 * - `round_robin`: the least recently selected account;
 * - `ordered`: the first healthy account in serving order (the others only take over).
 */
export type BalanceMode = 'balanced' | 'round_robin' | 'ordered'

/** Why an account is benched: a spent quota, a dead login, or a transient failure. */
export type BenchKind = 'quota' | 'auth' | 'transient'

/**
 * How a failed attempt is treated: `quota` / `auth` / `transient` bench the account and fail
 * over; `client` (the request itself is wrong) and `abort` (the caller went away) end the run
 * with the error unchanged.
 */
export type FailureKind = BenchKind | 'client' | 'abort'

/** An account as the pool sees it. Anything else on the object (a client, an e-mail) is the caller's. */
export interface PoolMember {
  /** Stable name of the account (its slot slug); benches, affinity and logs use it. */
  readonly slug: string
}

/** What a request asks of the pool. */
export interface PoolRequest {
  /** The requested model; accounts whose catalog is known and lacks it are skipped. @default null (any) */
  model?: string | null
  /** Conversation or session id: the request stays on the account that served this key. @default null */
  affinityKey?: string | null
}

/** A classified failure (see {@link AccountPoolOptions.classify}). */
export interface PoolFailure {
  kind: FailureKind
  /** For quota failures: seconds until the spent window resets, when known. */
  resetsInSeconds?: number | null
  /** Short reason for logs and status (`last_error`); never a token. */
  message?: string
  /** Stable error code, when there is one (logged as the failover reason). */
  code?: string
}

/** Passed to each attempt of {@link AccountPool.run}. */
export interface AttemptInfo {
  /** 0-based index of this attempt within the run (over all passes). */
  attempt: number
  /** 0-based pass (a pass tries the planned accounts once; retry passes follow transient failures). */
  pass: number
  /** True when the account was chosen by conversation affinity. */
  affinity: boolean
}

/** Observability taps (the relay's traffic log). Hooks must not throw; exceptions are swallowed. */
export interface AccountPoolHooks<A extends PoolMember> {
  /** Before each attempt, only when the pool has two or more accounts (reference `account_selected`). */
  onSelected?(info: { account: A; attempt: number; pass: number; affinity: boolean }): void
  /** Before trying the next account after a failure (reference `account_failover`). */
  onFailover?(info: { from: A; to: A; reason: string; kind: BenchKind; cooldownSeconds: number }): void
  /** When an account is benched or its bench extended. */
  onBench?(info: { account: A; kind: BenchKind; seconds: number; source: 'error' | 'usage' }): void
  /** Before sleeping for a retry pass. */
  onRetry?(info: { pass: number; delaySeconds: number; reason: string }): void
}

/** Retry passes after a pass in which every attempt failed transiently. */
export interface PoolRetryOptions {
  /** Extra passes. @default 0 */
  attempts?: number
  /** Delays in seconds before each extra pass; the last one repeats. @default [5, 20, 60] */
  backoffSeconds?: readonly number[]
}

/** Options of `createAccountPool`. */
export interface AccountPoolOptions<A extends PoolMember> {
  /** The accounts in serving order. @default [] (see `setMembers`) */
  members?: readonly A[]
  /** Balance mode (`[providers.openai] balance`, `AIRELAYS_OPENAI_BALANCE`). @default "balanced" */
  balance?: BalanceMode
  /**
   * Bench of a quota failure without a reset time, and of a spent usage reading without one, in
   * seconds (`[providers.openai] account_cooldown_seconds`, `AIRELAYS_OPENAI_ACCOUNT_COOLDOWN_SECONDS`).
   * @default 300
   */
  cooldownSeconds?: number
  /** Bench of a transient failure (5xx, transport), in seconds. @default min(30, cooldownSeconds) */
  transientBenchSeconds?: number
  /** Bench of a login failure (401, refresh failed, no credentials), in seconds. @default 300 */
  authBenchSeconds?: number
  /** A usage reading older than this does not steer `balanced`, in seconds. @default 900 */
  freshSignalSeconds?: number
  /** `refreshUsage()` reuses a reading younger than this unless forced, in seconds. @default 60 */
  usageCacheSeconds?: number
  /** Conversations remembered for affinity (oldest forgotten first). @default 5000 */
  affinityLimit?: number
  /** Benches of accounts that disappeared, remembered in case they come back. @default 64 */
  rememberedBenches?: number
  /** Retry passes. @default { attempts: 0 } */
  retry?: PoolRetryOptions
  /** Maps an attempt's error to a failure. @default `UpstreamError.kind` (`aborted` → `abort`); other errors are transient */
  classify?: (error: unknown) => PoolFailure
  /** Epoch-millisecond clock. @default Date.now */
  clock?: () => number
  /** Sleeps between retry passes; must reject when `signal` aborts. @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  hooks?: AccountPoolHooks<A>
}

/** One account's state, for status pages (`limited_*` follow the reference's account status entry). */
export interface PoolAccountStatus {
  slug: string
  /** 1-based serving position. */
  position: number
  limited: boolean
  /** Whole seconds until the bench ends (rounded up); null when not limited. */
  limited_for_seconds: number | null
  limited_kind: BenchKind | null
  /** The last failure's message (attempt or usage probe); null after a success. */
  last_error: string | null
  /** Used percent of the longest window from the last reading; null when unknown. */
  used_percent: number | null
  /** Length of that window, seconds. */
  window_seconds: number | null
  /** Age of the last usage reading in whole seconds; null when never read. */
  usage_age_seconds: number | null
  /** The account's model catalog, null when unknown. */
  models: string[] | null
  /** Attempts made on this account by this pool. */
  attempts: number
}

/** Per-run options of `AccountPool.run`. */
export interface PoolRunOptions {
  /** Abort the run: no further attempts, and retry sleeps end at once. */
  signal?: AbortSignal
  /** Before sleeping for a retry pass of this run (in addition to `hooks.onRetry`). */
  onRetry?(info: { pass: number; delaySeconds: number; reason: string }): void
  /** Retry passes of this run. @default the pool's `retry` */
  retry?: PoolRetryOptions
}

/** What `run` resolves with. */
export interface PoolResult<A extends PoolMember, T> {
  value: T
  /** The account that served. */
  account: A
  /** Attempts made (1 when the first account served). */
  attempts: number
}

/** Fetches one account's usage (e.g. `client.usage()`), for `refreshUsage`. */
export type UsageProbe<A extends PoolMember> = (account: A) => Promise<UsageSnapshotLike>

/** A pool of upstream accounts: selection, benches, affinity and failover. Framework-free. */
export interface AccountPool<A extends PoolMember> {
  readonly balance: BalanceMode
  /** Number of accounts. */
  readonly size: number
  /** The accounts in serving order. */
  members(): A[]
  /** Replaces the accounts (a reload): state (benches, readings, catalogs) is kept by slug. */
  setMembers(members: readonly A[]): void
  /**
   * The accounts one pass would try, in order: the affinity account, then healthy accounts in
   * balance order, then accounts benched for a short (non-quota) reason by earliest recovery;
   * when nothing is left, the benched account that recovers first. Accounts whose known catalog
   * lacks the model are left out unless no account lists it.
   */
  plan(request?: PoolRequest): A[]
  /**
   * Runs `attempt` on the planned accounts until one succeeds. Each failure is classified and
   * benches its account; `client` and `abort` failures end the run with the error unchanged.
   * When every account failed, the last error is thrown, reworded when the pool has two or more
   * accounts and all are benched ("All N OpenAI accounts are at their limits (earliest retry in
   * Xs). Last error: …" with `resets_in_seconds`, or "All N OpenAI accounts failed for this
   * request. Last error: …"). Call it before anything reached the client: a stream's attempt
   * resolves when its first content event arrived.
   */
  run<T>(
    request: PoolRequest,
    attempt: (account: A, info: AttemptInfo) => Promise<T>,
    options?: PoolRunOptions,
  ): Promise<PoolResult<A, T>>
  /** A success: clears the account's bench and pins `request.affinityKey` to it. */
  recordSuccess(slug: string, request?: PoolRequest): void
  /** A failure outside `run` (e.g. a stream that died before content). Returns the bench in seconds (0: none). */
  recordFailure(slug: string, failure: PoolFailure): number
  /**
   * A usage reading taken at `startedAt` (epoch ms, default now): steers `balanced`; a spent
   * reading benches the account (quota); a reading that started after the bench was placed and
   * shows capacity releases it.
   */
  recordUsage(slug: string, signal: UsageSignal, options?: { startedAt?: number }): void
  /** The account's model slugs (null: unknown, every model allowed). */
  setModels(slug: string, models: readonly string[] | null): void
  /**
   * Probes every account's usage with `probe` (one probe per account at a time; a reading younger
   * than `usageCacheSeconds` is reused unless `force`). Probe failures are recorded as `last_error`
   * and never bench.
   */
  refreshUsage(probe: UsageProbe<A>, options?: { force?: boolean }): Promise<void>
  /** Per-account state in serving order. */
  status(): PoolAccountStatus[]
  /** True when every account is benched. */
  allBenched(): boolean
  /** Whole seconds until the first bench ends; null when some account is not benched. */
  earliestRetrySeconds(): number | null
}

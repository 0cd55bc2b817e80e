import { isRecord, isUpstreamError, UpstreamError } from '../errors'
import type {
  AccountPool,
  AccountPoolOptions,
  AttemptInfo,
  BalanceMode,
  BenchKind,
  PoolAccountStatus,
  PoolFailure,
  PoolMember,
  PoolRequest,
  PoolResult,
  PoolRunOptions,
  UsageProbe,
} from './types'
import { type UsageSignal, usageSignalFromSnapshot } from './usage-signal'

interface Bench {
  /** Epoch ms when it ends. */
  until: number
  kind: BenchKind
  /** Epoch ms when it was placed or last extended. */
  placedAt: number
}

interface MemberState {
  bench: Bench | null
  lastError: string | null
  signal: { value: UsageSignal; at: number } | null
  models: Set<string> | null
  /** Selection sequence number of the last attempt (0: never). */
  lastSelected: number
  attempts: number
  probing: Promise<void> | null
  /** Epoch ms when the last probe started (0: never). */
  lastProbeAt: number
}

const BALANCE_MODES: readonly BalanceMode[] = ['balanced', 'round_robin', 'ordered']

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`createAccountPool: ${name} must be a finite, non-negative number, got ${String(v)}`)
  }
  return v
}

function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason ?? new Error('aborted'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function messageOf(error: unknown): string {
  if (isUpstreamError(error)) {
    const inner = error.upstreamError?.message
    return typeof inner === 'string' && inner.length > 0 ? inner : error.message
  }
  return error instanceof Error ? error.message : String(error)
}

function short(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > 300 ? `${one.slice(0, 297)}...` : one
}

/** The default classifier: `UpstreamError.kind`, `aborted` → abort, anything else transient. */
export function classifyPoolFailure(error: unknown): PoolFailure {
  if (isUpstreamError(error)) {
    if (error.code === 'aborted') return { kind: 'abort', code: error.code }
    return {
      kind: error.kind,
      resetsInSeconds: error.resetsInSeconds ?? error.retryAfterSeconds ?? null,
      message: short(messageOf(error)),
      code: error.code,
    }
  }
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'AbortError') return { kind: 'abort' }
  return { kind: 'transient', message: short(messageOf(error)) }
}

function callHook<T>(fn: ((info: T) => void) | undefined, info: T): void {
  if (!fn) return
  try {
    fn(info)
  } catch {
    // Hooks never break the request path.
  }
}

/**
 * Creates an account pool (reference §9 "Multi-account pool"): selection by affinity and balance
 * mode, model-aware skipping, benches (quota for the reset time, else the cooldown; login failures
 * 300 s; transient failures min(30, cooldown) s; only ever extended), failover and the "all
 * accounts" wording. No timers, no I/O: the caller feeds usage readings and catalogs, and
 * `refreshUsage` runs only when called.
 */
export function createAccountPool<A extends PoolMember>(options: AccountPoolOptions<A> = {}): AccountPool<A> {
  const balance = options.balance ?? 'balanced'
  if (!BALANCE_MODES.includes(balance)) {
    throw new RangeError(
      `createAccountPool: balance must be one of ${BALANCE_MODES.join(', ')}, got ${String(balance)}`,
    )
  }
  const cooldown = nonNegative('cooldownSeconds', options.cooldownSeconds, 300)
  const transientBench = nonNegative(
    'transientBenchSeconds',
    options.transientBenchSeconds,
    Math.min(30, cooldown),
  )
  const authBench = nonNegative('authBenchSeconds', options.authBenchSeconds, 300)
  const freshMs = nonNegative('freshSignalSeconds', options.freshSignalSeconds, 900) * 1000
  const usageCacheMs = nonNegative('usageCacheSeconds', options.usageCacheSeconds, 60) * 1000
  const affinityLimit = Math.max(1, Math.floor(nonNegative('affinityLimit', options.affinityLimit, 5000)))
  const rememberLimit = Math.floor(nonNegative('rememberedBenches', options.rememberedBenches, 64))
  const retryAttempts = Math.floor(nonNegative('retry.attempts', options.retry?.attempts, 0))
  const backoff = options.retry?.backoffSeconds?.length ? [...options.retry.backoffSeconds] : [5, 20, 60]
  const classify = options.classify ?? classifyPoolFailure
  const clock = options.clock ?? Date.now
  const sleep = options.sleep ?? timerSleep
  const hooks = options.hooks ?? {}

  let members: A[] = []
  const states = new Map<string, MemberState>()
  /** Benches of accounts that left, oldest first. */
  const remembered = new Map<string, Bench>()
  /** Affinity key → slug, oldest first. */
  const affinity = new Map<string, string>()
  let sequence = 0

  const newState = (bench: Bench | null): MemberState => ({
    bench,
    lastError: null,
    signal: null,
    models: null,
    lastSelected: 0,
    attempts: 0,
    probing: null,
    lastProbeAt: 0,
  })

  const stateOf = (slug: string): MemberState | undefined => states.get(slug)

  const setMembers = (next: readonly A[]): void => {
    const slugs = new Set<string>()
    for (const m of next) {
      if (typeof m?.slug !== 'string' || m.slug.length === 0) {
        throw new TypeError('createAccountPool: every member needs a non-empty string `slug`')
      }
      if (slugs.has(m.slug)) throw new TypeError(`createAccountPool: duplicate member slug ${m.slug}`)
      slugs.add(m.slug)
    }
    const now = clock()
    for (const [slug, state] of states) {
      if (slugs.has(slug)) continue
      states.delete(slug)
      if (state.bench && state.bench.until > now && rememberLimit > 0) {
        remembered.delete(slug)
        remembered.set(slug, state.bench)
        while (remembered.size > rememberLimit) remembered.delete(remembered.keys().next().value as string)
      }
    }
    for (const slug of slugs) {
      if (states.has(slug)) continue
      const bench = remembered.get(slug) ?? null
      remembered.delete(slug)
      states.set(slug, newState(bench && bench.until > now ? bench : null))
    }
    members = [...next]
  }

  const isBenched = (state: MemberState, now: number): boolean =>
    state.bench !== null && state.bench.until > now

  const supports = (state: MemberState, model: string | null | undefined): boolean =>
    !model || state.models === null || state.models.size === 0 || state.models.has(model)

  const position = (m: A): number => members.indexOf(m)

  const byRecency = (a: A, b: A): number =>
    (stateOf(a.slug)?.lastSelected ?? 0) - (stateOf(b.slug)?.lastSelected ?? 0) || position(a) - position(b)

  const strategyOrder = (healthy: A[], now: number): A[] => {
    if (balance === 'ordered') return [...healthy]
    if (balance === 'round_robin') return [...healthy].sort(byRecency)
    const fresh: A[] = []
    const stale: A[] = []
    for (const m of healthy) {
      const signal = stateOf(m.slug)?.signal
      if (signal && signal.value.usedPercent !== null && now - signal.at < freshMs) fresh.push(m)
      else stale.push(m)
    }
    const used = (m: A): number => stateOf(m.slug)?.signal?.value.usedPercent ?? 0
    fresh.sort((a, b) => used(a) - used(b) || byRecency(a, b))
    stale.sort(byRecency)
    return [...fresh, ...stale]
  }

  const planWith = (request: PoolRequest | undefined): { order: A[]; affinity: A | null } => {
    const now = clock()
    const model = request?.model ?? null
    const supporting = members.filter((m) => supports(stateOf(m.slug) as MemberState, model))
    const candidates = supporting.length > 0 ? supporting : members
    const healthy: A[] = []
    const benched: A[] = []
    for (const m of candidates) (isBenched(stateOf(m.slug) as MemberState, now) ? benched : healthy).push(m)
    const until = (m: A): number => stateOf(m.slug)?.bench?.until ?? 0
    benched.sort((a, b) => until(a) - until(b) || position(a) - position(b))
    let order = strategyOrder(healthy, now)
    let pinned: A | null = null
    const key = request?.affinityKey
    if (key) {
      const slug = affinity.get(key)
      pinned = slug === undefined ? null : (order.find((m) => m.slug === slug) ?? null)
      if (pinned) order = [pinned, ...order.filter((m) => m !== pinned)]
    }
    order.push(...benched.filter((m) => stateOf(m.slug)?.bench?.kind !== 'quota'))
    if (order.length === 0 && benched.length > 0) order = [benched[0] as A]
    return { order, affinity: pinned }
  }

  const member = (slug: string): A | undefined => members.find((m) => m.slug === slug)

  const placeBench = (slug: string, kind: BenchKind, seconds: number, source: 'error' | 'usage'): number => {
    const state = stateOf(slug)
    if (!state || !(seconds > 0)) return 0
    const now = clock()
    const until = now + seconds * 1000
    if (state.bench && state.bench.until >= until) return Math.ceil((state.bench.until - now) / 1000)
    state.bench = { until, kind, placedAt: now }
    const account = member(slug)
    if (account) callHook(hooks.onBench, { account, kind, seconds, source })
    return seconds
  }

  const benchSecondsFor = (failure: PoolFailure): number => {
    switch (failure.kind) {
      case 'quota': {
        const reset = failure.resetsInSeconds
        return typeof reset === 'number' && Number.isFinite(reset) && reset > 0 ? reset : cooldown
      }
      case 'auth':
        return authBench
      case 'transient':
        return transientBench
      default:
        return 0
    }
  }

  const recordFailure = (slug: string, failure: PoolFailure): number => {
    const state = stateOf(slug)
    if (!state || failure.kind === 'client' || failure.kind === 'abort') return 0
    if (failure.message) state.lastError = failure.message
    return placeBench(slug, failure.kind, benchSecondsFor(failure), 'error')
  }

  const recordSuccess = (slug: string, request?: PoolRequest): void => {
    const state = stateOf(slug)
    if (!state) return
    state.bench = null
    state.lastError = null
    const key = request?.affinityKey
    if (key) {
      affinity.delete(key)
      affinity.set(key, slug)
      while (affinity.size > affinityLimit) affinity.delete(affinity.keys().next().value as string)
    }
  }

  const recordUsage = (slug: string, signal: UsageSignal, opts?: { startedAt?: number }): void => {
    const state = stateOf(slug)
    if (!state) return
    const startedAt = opts?.startedAt ?? clock()
    if (!state.signal || state.signal.at <= startedAt) state.signal = { value: signal, at: startedAt }
    if (signal.exhausted) {
      placeBench(slug, 'quota', signal.resetsInSeconds ?? cooldown, 'usage')
    } else if (state.bench && startedAt > state.bench.placedAt) {
      state.bench = null
    }
  }

  const allBenched = (): boolean => {
    const now = clock()
    return members.length > 0 && members.every((m) => isBenched(stateOf(m.slug) as MemberState, now))
  }

  const earliestRetrySeconds = (): number | null => {
    if (!allBenched()) return null
    const now = clock()
    const first = Math.min(...members.map((m) => stateOf(m.slug)?.bench?.until ?? now))
    return Math.max(1, Math.ceil((first - now) / 1000))
  }

  /** The last error, reworded when every account of a multi-account pool is benched. */
  const exhausted = (last: unknown): unknown => {
    if (members.length < 2 || !allBenched()) return last
    const n = members.length
    const earliest = earliestRetrySeconds() ?? 1
    const allQuota = members.every((m) => stateOf(m.slug)?.bench?.kind === 'quota')
    const base = messageOf(last)
    const message = allQuota
      ? `All ${n} OpenAI accounts are at their limits (earliest retry in ${earliest}s). Last error: ${base}`
      : `All ${n} OpenAI accounts failed for this request. Last error: ${base}`
    const up: Record<string, unknown> =
      isUpstreamError(last) && isRecord(last.upstreamError) ? { ...last.upstreamError } : {}
    const hadTypeOrCode = typeof up.type === 'string' || typeof up.code === 'string'
    if (!hadTypeOrCode) {
      up.type = 'upstream_error'
      up.code = 'all_accounts_limited'
    }
    up.message = message
    if (!isUpstreamError(last)) {
      return new UpstreamError({ code: 'upstream_unavailable', message, upstreamError: up, cause: last })
    }
    const is429 = last.status === 429
    if (is429) up.resets_in_seconds = earliest
    return new UpstreamError({
      code: last.code,
      kind: last.kind,
      message,
      status: last.status,
      upstreamStatus: last.upstreamStatus,
      upstreamError: up,
      resetsAt: is429 ? Math.floor(clock() / 1000) + earliest : last.resetsAt,
      resetsInSeconds: is429 ? earliest : last.resetsInSeconds,
      retryAfterSeconds: is429 ? earliest : last.retryAfterSeconds,
      headers: last.headers,
      event: last.event,
      cause: last,
    })
  }

  const run = async <T>(
    request: PoolRequest,
    attempt: (account: A, info: AttemptInfo) => Promise<T>,
    runOptions?: PoolRunOptions,
  ): Promise<PoolResult<A, T>> => {
    const signal = runOptions?.signal
    const passes =
      runOptions?.retry?.attempts === undefined
        ? retryAttempts
        : Math.floor(nonNegative('retry.attempts', runOptions.retry.attempts, 0))
    const delays = runOptions?.retry?.backoffSeconds?.length ? [...runOptions.retry.backoffSeconds] : backoff
    let attempts = 0
    for (let pass = 0; ; pass++) {
      const { order, affinity: pinned } = planWith(request)
      if (order.length === 0) {
        throw new UpstreamError({
          code: 'auth_missing',
          message: 'No ChatGPT login found. Run `airelays login` first.',
        })
      }
      let last: { account: A; error: unknown; failure: PoolFailure; bench: number } | null = null
      for (const account of order) {
        const state = stateOf(account.slug) as MemberState
        if (last) {
          callHook(hooks.onFailover, {
            from: last.account,
            to: account,
            reason: last.failure.code ?? last.failure.kind,
            kind: last.failure.kind as BenchKind,
            cooldownSeconds: last.bench,
          })
        }
        state.lastSelected = ++sequence
        state.attempts++
        const info: AttemptInfo = { attempt: attempts++, pass, affinity: account === pinned }
        if (members.length >= 2) {
          callHook(hooks.onSelected, { account, attempt: info.attempt, pass, affinity: info.affinity })
        }
        try {
          const value = await attempt(account, info)
          recordSuccess(account.slug, request)
          return { value, account, attempts }
        } catch (error) {
          const failure = classify(error)
          if (failure.kind === 'client' || failure.kind === 'abort' || signal?.aborted) throw error
          last = { account, error, failure, bench: recordFailure(account.slug, failure) }
        }
      }
      const final = last as { error: unknown; failure: PoolFailure }
      if (final.failure.kind === 'transient' && pass < passes) {
        const delaySeconds = delays[Math.min(pass, delays.length - 1)] as number
        callHook(hooks.onRetry, {
          pass: pass + 1,
          delaySeconds,
          reason: final.failure.message ?? 'transient',
        })
        await sleep(delaySeconds * 1000, signal)
        continue
      }
      throw exhausted(final.error)
    }
  }

  const probeOne = (account: A, probe: UsageProbe<A>, force: boolean): Promise<void> => {
    const state = stateOf(account.slug)
    if (!state) return Promise.resolve()
    if (state.probing) {
      return force ? state.probing.then(() => probeOne(account, probe, false)) : state.probing
    }
    const now = clock()
    if (!force && state.lastProbeAt > 0 && now - state.lastProbeAt < usageCacheMs) return Promise.resolve()
    state.lastProbeAt = now
    state.probing = (async () => {
      try {
        const snapshot = await probe(account)
        recordUsage(account.slug, usageSignalFromSnapshot(snapshot), { startedAt: now })
      } catch (error) {
        state.lastError = short(`usage probe failed: ${messageOf(error)}`)
      }
    })().finally(() => {
      state.probing = null
    })
    return state.probing
  }

  if (options.members) setMembers(options.members)

  return {
    balance,
    get size(): number {
      return members.length
    },
    members: (): A[] => [...members],
    setMembers,
    plan: (request?: PoolRequest): A[] => planWith(request).order,
    run,
    recordSuccess,
    recordFailure,
    recordUsage,
    setModels(slug: string, models: readonly string[] | null): void {
      const state = stateOf(slug)
      if (state) state.models = models === null ? null : new Set(models)
    },
    async refreshUsage(probe: UsageProbe<A>, opts?: { force?: boolean }): Promise<void> {
      await Promise.all(members.map((m) => probeOne(m, probe, opts?.force === true)))
    },
    status(): PoolAccountStatus[] {
      const now = clock()
      return members.map((m, i) => {
        const state = stateOf(m.slug) as MemberState
        const limited = isBenched(state, now)
        return {
          slug: m.slug,
          position: i + 1,
          limited,
          limited_for_seconds: limited ? Math.ceil(((state.bench as Bench).until - now) / 1000) : null,
          limited_kind: limited ? (state.bench as Bench).kind : null,
          last_error: state.lastError,
          used_percent: state.signal?.value.usedPercent ?? null,
          window_seconds: state.signal?.value.windowSeconds ?? null,
          usage_age_seconds: state.signal ? Math.max(0, Math.floor((now - state.signal.at) / 1000)) : null,
          models: state.models === null ? null : [...state.models],
          attempts: state.attempts,
        }
      })
    },
    allBenched,
    earliestRetrySeconds,
  }
}

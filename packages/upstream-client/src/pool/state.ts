import { callHook, messageOf, short } from './failure'
import type { PoolSettings } from './settings'
import type { BenchKind, PoolAccountStatus, PoolFailure, PoolMember, PoolRequest, UsageProbe } from './types'
import { type UsageSignal, usageSignalFromSnapshot } from './usage-signal'

export interface Bench {
  /** Epoch ms when it ends. */
  until: number
  kind: BenchKind
  /** Epoch ms when it was placed or last extended. */
  placedAt: number
}

export interface MemberState {
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

const isBenched = (state: MemberState, now: number): boolean =>
  state.bench !== null && state.bench.until > now

const supports = (state: MemberState, model: string | null | undefined): boolean =>
  !model || state.models === null || state.models.size === 0 || state.models.has(model)

/** The pool's members and what it knows of each: benches, usage signals, catalogs, affinity. */
export class PoolState<A extends PoolMember> {
  readonly settings: PoolSettings<A>
  members: A[] = []
  /** Selection sequence; each attempt takes the next number. */
  sequence = 0
  readonly #states = new Map<string, MemberState>()
  /** Benches of accounts that left, oldest first. */
  readonly #remembered = new Map<string, Bench>()
  /** Affinity key → slug, oldest first. */
  readonly #affinity = new Map<string, string>()

  constructor(settings: PoolSettings<A>) {
    this.settings = settings
  }

  stateOf(slug: string): MemberState | undefined {
    return this.#states.get(slug)
  }

  setMembers(next: readonly A[]): void {
    const slugs = new Set<string>()
    for (const m of next) {
      if (typeof m?.slug !== 'string' || m.slug.length === 0) {
        throw new TypeError('createAccountPool: every member needs a non-empty string `slug`')
      }
      if (slugs.has(m.slug)) throw new TypeError(`createAccountPool: duplicate member slug ${m.slug}`)
      slugs.add(m.slug)
    }
    const now = this.settings.clock()
    const limit = this.settings.rememberLimit
    for (const [slug, state] of this.#states) {
      if (slugs.has(slug)) continue
      this.#states.delete(slug)
      if (state.bench && state.bench.until > now && limit > 0) {
        this.#remembered.delete(slug)
        this.#remembered.set(slug, state.bench)
        while (this.#remembered.size > limit)
          this.#remembered.delete(this.#remembered.keys().next().value as string)
      }
    }
    for (const slug of slugs) {
      if (this.#states.has(slug)) continue
      const bench = this.#remembered.get(slug) ?? null
      this.#remembered.delete(slug)
      this.#states.set(slug, newState(bench && bench.until > now ? bench : null))
    }
    this.members = [...next]
  }

  #position(m: A): number {
    return this.members.indexOf(m)
  }

  #byRecency = (a: A, b: A): number =>
    (this.stateOf(a.slug)?.lastSelected ?? 0) - (this.stateOf(b.slug)?.lastSelected ?? 0) ||
    this.#position(a) - this.#position(b)

  #strategyOrder(healthy: A[], now: number): A[] {
    const { balance, freshMs } = this.settings
    if (balance === 'ordered') return [...healthy]
    if (balance === 'round_robin') return [...healthy].sort(this.#byRecency)
    const fresh: A[] = []
    const stale: A[] = []
    for (const m of healthy) {
      const signal = this.stateOf(m.slug)?.signal
      if (signal && signal.value.usedPercent !== null && now - signal.at < freshMs) fresh.push(m)
      else stale.push(m)
    }
    const used = (m: A): number => this.stateOf(m.slug)?.signal?.value.usedPercent ?? 0
    fresh.sort((a, b) => used(a) - used(b) || this.#byRecency(a, b))
    stale.sort(this.#byRecency)
    return [...fresh, ...stale]
  }

  /** The order to try members in for one request, and the member its affinity key pinned. */
  plan(request: PoolRequest | undefined): { order: A[]; affinity: A | null } {
    const now = this.settings.clock()
    const model = request?.model ?? null
    const supporting = this.members.filter((m) => supports(this.stateOf(m.slug) as MemberState, model))
    const candidates = supporting.length > 0 ? supporting : this.members
    const healthy: A[] = []
    const benched: A[] = []
    for (const m of candidates)
      (isBenched(this.stateOf(m.slug) as MemberState, now) ? benched : healthy).push(m)
    const until = (m: A): number => this.stateOf(m.slug)?.bench?.until ?? 0
    benched.sort((a, b) => until(a) - until(b) || this.#position(a) - this.#position(b))
    let order = this.#strategyOrder(healthy, now)
    let pinned: A | null = null
    const key = request?.affinityKey
    if (key) {
      const slug = this.#affinity.get(key)
      pinned = slug === undefined ? null : (order.find((m) => m.slug === slug) ?? null)
      if (pinned) order = [pinned, ...order.filter((m) => m !== pinned)]
    }
    order.push(...benched.filter((m) => this.stateOf(m.slug)?.bench?.kind !== 'quota'))
    if (order.length === 0 && benched.length > 0) order = [benched[0] as A]
    return { order, affinity: pinned }
  }

  #placeBench(slug: string, kind: BenchKind, seconds: number, source: 'error' | 'usage'): number {
    const state = this.stateOf(slug)
    if (!state || !(seconds > 0)) return 0
    const now = this.settings.clock()
    const until = now + seconds * 1000
    if (state.bench && state.bench.until >= until) return Math.ceil((state.bench.until - now) / 1000)
    state.bench = { until, kind, placedAt: now }
    const account = this.members.find((m) => m.slug === slug)
    if (account) callHook(this.settings.hooks.onBench, { account, kind, seconds, source })
    return seconds
  }

  #benchSecondsFor(failure: PoolFailure): number {
    switch (failure.kind) {
      case 'quota': {
        const reset = failure.resetsInSeconds
        return typeof reset === 'number' && Number.isFinite(reset) && reset > 0
          ? reset
          : this.settings.cooldown
      }
      case 'auth':
        return this.settings.authBench
      case 'transient':
        return this.settings.transientBench
      default:
        return 0
    }
  }

  recordFailure(slug: string, failure: PoolFailure): number {
    const state = this.stateOf(slug)
    if (!state || failure.kind === 'client' || failure.kind === 'abort') return 0
    if (failure.message) state.lastError = failure.message
    return this.#placeBench(slug, failure.kind, this.#benchSecondsFor(failure), 'error')
  }

  recordSuccess(slug: string, request?: PoolRequest): void {
    const state = this.stateOf(slug)
    if (!state) return
    state.bench = null
    state.lastError = null
    const key = request?.affinityKey
    if (key) {
      this.#affinity.delete(key)
      this.#affinity.set(key, slug)
      while (this.#affinity.size > this.settings.affinityLimit) {
        this.#affinity.delete(this.#affinity.keys().next().value as string)
      }
    }
  }

  recordUsage(slug: string, signal: UsageSignal, opts?: { startedAt?: number }): void {
    const state = this.stateOf(slug)
    if (!state) return
    const startedAt = opts?.startedAt ?? this.settings.clock()
    if (!state.signal || state.signal.at <= startedAt) state.signal = { value: signal, at: startedAt }
    if (signal.exhausted) {
      this.#placeBench(slug, 'quota', signal.resetsInSeconds ?? this.settings.cooldown, 'usage')
    } else if (state.bench && startedAt > state.bench.placedAt) {
      state.bench = null
    }
  }

  setModels(slug: string, models: readonly string[] | null): void {
    const state = this.stateOf(slug)
    if (state) state.models = models === null ? null : new Set(models)
  }

  allBenched(): boolean {
    const now = this.settings.clock()
    return (
      this.members.length > 0 &&
      this.members.every((m) => isBenched(this.stateOf(m.slug) as MemberState, now))
    )
  }

  earliestRetrySeconds(): number | null {
    if (!this.allBenched()) return null
    const now = this.settings.clock()
    const first = Math.min(...this.members.map((m) => this.stateOf(m.slug)?.bench?.until ?? now))
    return Math.max(1, Math.ceil((first - now) / 1000))
  }

  /** Runs a usage probe for one member unless a fresh reading exists; concurrent calls share one probe. */
  probe(account: A, probe: UsageProbe<A>, force: boolean): Promise<void> {
    const state = this.stateOf(account.slug)
    if (!state) return Promise.resolve()
    if (state.probing) {
      return force ? state.probing.then(() => this.probe(account, probe, false)) : state.probing
    }
    const now = this.settings.clock()
    if (!force && state.lastProbeAt > 0 && now - state.lastProbeAt < this.settings.usageCacheMs) {
      return Promise.resolve()
    }
    state.lastProbeAt = now
    state.probing = (async () => {
      try {
        const snapshot = await probe(account)
        this.recordUsage(account.slug, usageSignalFromSnapshot(snapshot), { startedAt: now })
      } catch (error) {
        state.lastError = short(`usage probe failed: ${messageOf(error)}`)
      }
    })().finally(() => {
      state.probing = null
    })
    return state.probing
  }

  status(): PoolAccountStatus[] {
    const now = this.settings.clock()
    return this.members.map((m, i) => {
      const state = this.stateOf(m.slug) as MemberState
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
  }
}

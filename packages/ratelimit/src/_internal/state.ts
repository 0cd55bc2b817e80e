import type { RateLimitClientState, RateLimitStore } from '../store'
import type { RateLimiterSettings } from '../types'
import type { TimeSource } from './options'
import type { ResolvedOptions } from './options'

/**
 * Everything one limiter knows, shared by the modules under `_internal/`: the settings (the hot
 * ones copied out as plain fields) and the few counters that span clients. Per-client state lives
 * in `store`, as {@link RateLimitClientState} objects mutated in place.
 */
export interface LimiterState {
  readonly settings: RateLimiterSettings
  readonly clock: TimeSource
  readonly store: RateLimitStore
  readonly perMinute: number
  readonly burst: number
  readonly maxConcurrent: number
  readonly maxTrackedClients: number
  readonly windowMs: number
  readonly blockMs: number
  readonly idleMs: number
  /** Keys that were blocked at some point; pruned lazily by snapshot(). */
  readonly blockedKeys: Set<string>
  /** States dropped at the hard cap while they still held slots; their releases are not counted. */
  readonly orphans: Set<RateLimitClientState>
  /** Number of stored clients with at least one active slot. */
  activeClients: number
  /** Earliest clock time at which the oldest entry can expire. */
  nextSweepAt: number
  /** The last clock reading (see {@link tick}). */
  lastNow: number
}

/** Float tolerance so that e.g. 0.9999999999 tokens count as one. */
export const EPSILON = 1e-9
const MAX_KEY_LENGTH = 256

/** Builds the state over the resolved options, counting what a pre-filled store already holds. */
export function createLimiterState({ settings, clock, store }: ResolvedOptions): LimiterState {
  const state: LimiterState = {
    settings,
    clock,
    store,
    perMinute: settings.perMinute,
    burst: settings.burst,
    maxConcurrent: settings.maxConcurrent,
    maxTrackedClients: settings.maxTrackedClients,
    windowMs: settings.failedAuthWindowSeconds * 1000,
    blockMs: settings.failedAuthBlockSeconds * 1000,
    idleMs: settings.idleSeconds * 1000,
    blockedKeys: new Set(),
    orphans: new Set(),
    activeClients: 0,
    nextSweepAt: store.size > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
    lastNow: Number.NEGATIVE_INFINITY,
  }
  for (const [key, s] of store.entries()) {
    if (s.active > 0) state.activeClients++
    if (s.blockedUntil !== 0) state.blockedKeys.add(key)
  }
  return state
}

/** Clock reading clamped to be monotonic (a clock going back, or NaN, reads as the last time). */
export function tick(state: LimiterState): number {
  const t = state.clock.now()
  if (t >= state.lastNow) state.lastNow = t
  return state.lastNow
}

/** The store key for a client: verbatim, `unknown` when empty, cut to 256 characters. */
export function keyOf(ip: unknown): string {
  if (typeof ip !== 'string' || ip.length === 0) return 'unknown'
  return ip.length > MAX_KEY_LENGTH ? ip.slice(0, MAX_KEY_LENGTH) : ip
}

/** Whole seconds for a Retry-After header: ceil, at least 1, tolerant of float noise. */
export function ceilSeconds(ms: number): number {
  const seconds = Math.ceil(ms / 1000 - EPSILON)
  return Math.max(seconds, 1)
}

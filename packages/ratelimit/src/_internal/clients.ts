import type { RateLimitClientState } from '../store'
import type { LimiterState } from './state'

// The client table: creating, touching and evicting per-client state in the store.

/**
 * A touched entry is moved to the recent end of the store at most once per this many ms, which
 * saves a Map delete + insert on most requests; idle entries may be dropped up to this much late.
 */
const REORDER_MS = 1000
/** Entries examined by the incremental idle sweep per operation. */
const SWEEP_BUDGET = 16
/** Entries examined, least recently seen first, to pick a victim at the hard cap. */
const CAP_SCAN = 64

/** A failed authentication inside the window keeps a client from being idle. */
function hasRecentFailure(state: LimiterState, s: RateLimitClientState, now: number): boolean {
  const f = s.failures
  return f !== null && f.length > 0 && now - f[f.length - 1]! < state.windowMs
}

function isIdle(state: LimiterState, s: RateLimitClientState, now: number): boolean {
  return s.active === 0 && now >= s.blockedUntil && !hasRecentFailure(state, s, now)
}

function evict(state: LimiterState, key: string, s: RateLimitClientState): void {
  state.store.delete(key)
  if (s.active > 0) {
    state.activeClients--
    state.orphans.add(s)
  }
}

/** Mark `s` as seen at `now`; move it to the recent end only when its position is stale. */
export function markSeen(state: LimiterState, key: string, s: RateLimitClientState, now: number): void {
  s.lastSeen = now
  if (now - s.orderedAt >= REORDER_MS) {
    s.orderedAt = now
    state.store.set(key, s)
  }
}

/**
 * Drop expired idle entries from the least recently ordered end. The store is ordered by
 * `orderedAt` and every idle entry has `orderedAt <= lastSeen < orderedAt + REORDER_MS`, so the
 * walk stops at the first entry that is not yet due: later entries are due at most REORDER_MS
 * earlier than it. Entries past the horizon that are still busy (a long request holds a slot) are
 * moved to the back so they cannot stall the sweep; their idle time starts at release anyway.
 */
export function sweepExpired(state: LimiterState, now: number, budget: number): number {
  const { store, idleMs } = state
  let evicted = 0
  let visited = 0
  for (const [key, s] of store.entries()) {
    if (now - s.orderedAt < idleMs) {
      state.nextSweepAt = s.orderedAt + idleMs
      return evicted
    }
    if (visited >= budget) {
      state.nextSweepAt = now
      return evicted
    }
    visited++
    if (s.active === 0 && now - s.lastSeen < idleMs) {
      state.nextSweepAt = s.lastSeen + idleMs
      return evicted
    }
    if (isIdle(state, s, now)) {
      evict(state, key, s)
      evicted++
    } else {
      s.orderedAt = now
      store.set(key, s)
    }
  }
  state.nextSweepAt = Number.POSITIVE_INFINITY
  return evicted
}

/** At the hard cap: drop one entry, preferring the least recently seen idle one. */
function makeRoom(state: LimiterState, now: number): void {
  let inactiveKey: string | undefined
  let inactiveState: RateLimitClientState | undefined
  let inactiveBlocked = true
  let oldestKey: string | undefined
  let oldestState: RateLimitClientState | undefined
  let scanned = 0
  for (const [key, s] of state.store.entries()) {
    if (oldestKey === undefined) {
      oldestKey = key
      oldestState = s
    }
    if (s.active === 0) {
      const blocked = now < s.blockedUntil
      if (!blocked && !hasRecentFailure(state, s, now)) {
        evict(state, key, s)
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
  if (inactiveKey !== undefined) evict(state, inactiveKey, inactiveState!)
  else if (oldestKey !== undefined) evict(state, oldestKey, oldestState!)
}

/** The live state for `key`, created (full bucket) when missing; marked as seen now. */
export function touch(state: LimiterState, key: string, now: number): RateLimitClientState {
  if (now >= state.nextSweepAt) sweepExpired(state, now, SWEEP_BUDGET)
  const { store } = state
  let s = store.get(key)
  if (s === undefined) {
    let guard = store.size
    while (store.size >= state.maxTrackedClients && guard-- > 0) makeRoom(state, now)
    s = {
      tokens: state.burst,
      refilledAt: now,
      active: 0,
      failures: null,
      blockedUntil: 0,
      lastSeen: now,
      orderedAt: now,
    }
    store.set(key, s)
    if (state.nextSweepAt > now + state.idleMs) state.nextSweepAt = now + state.idleMs
  } else {
    markSeen(state, key, s, now)
  }
  return s
}

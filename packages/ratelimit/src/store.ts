/**
 * Everything the limiter remembers about one client key (normally a client IP). Times are in the
 * limiter clock's milliseconds. Stores hold these objects; the limiter mutates them in place.
 */
export interface RateLimitClientState {
  /** Tokens left in the bucket as of `refilledAt` (fractional, at most `burst`). */
  tokens: number
  /** Clock time the bucket was last refilled. */
  refilledAt: number
  /** Concurrency slots currently held (never negative). */
  active: number
  /** Clock times of failed authentications still inside the window, oldest first; `null` when none. */
  failures: number[] | null
  /** Clock time the block ends; `0` when the client was never blocked. Blocked while `now < blockedUntil`. */
  blockedUntil: number
  /** Clock time of the last operation on this key; drives idle eviction. */
  lastSeen: number
  /**
   * Clock time the limiter last moved this key to the recent end of the store (it does so at most
   * about once a second per key). The store's order is the order of `orderedAt`.
   */
  orderedAt: number
}

/**
 * Where a synchronous {@link createRateLimiter} limiter keeps per-client state.
 *
 * Contract:
 * - **Synchronous.** Every limiter operation runs get → mutate (→ set) without yielding to the event
 *   loop, so each operation is atomic with respect to every other request in the process. A store
 *   shared between processes (Redis, ...) cannot honour this and belongs behind a separate async
 *   limiter whose operations run atomically inside the store; see the package README.
 * - **Live objects.** `get` returns the stored object itself. The limiter mutates its fields in
 *   place and calls `set` only to add a key or to refresh its position, so in-place changes must be
 *   what the store keeps.
 * - **Order.** `set` inserts a key, or moves an existing key, to the most recent end; `entries()`
 *   iterates from the least recent end. Iteration must tolerate `delete()` of the current key and
 *   `set()` of the current key (which moves it to the end), as a `Map` does.
 * - `get` and `entries` must not change the order.
 */
export interface RateLimitStore {
  /** Number of tracked keys. */
  readonly size: number
  /** The live state for `key`, or `undefined`. Does not change recency. */
  get(key: string): RateLimitClientState | undefined
  /** Insert `state` under `key` or replace it, and mark `key` most recently used. */
  set(key: string, state: RateLimitClientState): void
  /** Remove `key`; true when it was present. */
  delete(key: string): boolean
  /** All entries, least recently used first. */
  entries(): IterableIterator<[string, RateLimitClientState]>
  /** Remove every key. */
  clear(): void
}

/**
 * The default in-process {@link RateLimitStore}: a `Map` whose insertion order is the recency
 * order (`set` re-inserts the key at the end). Setting the key that is already most recent costs a
 * single `Map.set`.
 */
export function createMemoryStore(): RateLimitStore {
  const map = new Map<string, RateLimitClientState>()
  let lastKey: string | undefined
  let lastState: RateLimitClientState | undefined
  return {
    get size(): number {
      return map.size
    },
    get(key: string): RateLimitClientState | undefined {
      return map.get(key)
    },
    set(key: string, state: RateLimitClientState): void {
      if (key === lastKey) {
        if (state !== lastState) {
          map.set(key, state)
          lastState = state
        }
        return
      }
      map.delete(key)
      map.set(key, state)
      lastKey = key
      lastState = state
    },
    delete(key: string): boolean {
      if (key === lastKey) {
        lastKey = undefined
        lastState = undefined
      }
      return map.delete(key)
    },
    entries(): IterableIterator<[string, RateLimitClientState]> {
      return map.entries()
    },
    clear(): void {
      map.clear()
      lastKey = undefined
      lastState = undefined
    },
  }
}

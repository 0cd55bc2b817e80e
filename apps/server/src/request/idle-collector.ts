/**
 * How long no request may be in flight before the one collection of a quiet period runs. Longer
 * than the keep-alive of the relay's own server (Node's 5 s) and of undici (4 s), so the sockets
 * of a burst, on both sides, are closed (and collectable) by then: at 5 s the bench's burst of
 * 500 streams left 1.36× warm idle, at 10 s 1.21× (bench/findings.md item 15).
 */
export const DEFAULT_QUIET_MS = 10_000

/** The timers the collector uses (injected by tests). */
export interface IdleCollectorClock {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Options of {@link createIdleCollector}. */
export interface IdleCollectorOptions {
  /** A full, synchronous garbage collection; `null` turns the collector into a no-op. */
  gc: (() => void) | null
  /** Quiet period in ms (default {@link DEFAULT_QUIET_MS}). */
  quietMs?: number
  /**
   * Collections per quiet period, `quietMs` apart (default 2): the second one frees what the
   * first one's finalisers and closed sockets released (bench/findings.md item 15).
   */
  collections?: number
  /** Timers (default: Node's, unref'd so they never keep the process alive). */
  clock?: IdleCollectorClock
}

/** Told by the request lifecycle when the relay becomes busy or idle. */
export interface IdleCollector {
  /** A request started while none was in flight. */
  busy(): void
  /** The last in-flight request ended. */
  idle(): void
  /** Cancel a pending collection (shutdown). */
  close(): void
}

const nodeClock: IdleCollectorClock = {
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms)
    timer.unref()
    return timer
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout)
  },
}

/**
 * Gives the memory of a burst back (issue 23; bench/findings.md item 15). V8 does not run a major
 * collection in an idle process, so what a burst of streams left behind stays in old space (and
 * in RSS) indefinitely. Policy, owned here: once no request has been in flight for `quietMs`
 * after some traffic, run one full collection, and a second one `quietMs` later if still quiet.
 * Never while a request is in flight (a new request cancels what is pending), and not again until
 * traffic has come and gone once more.
 */
export function createIdleCollector(options: IdleCollectorOptions): IdleCollector {
  const gc = options.gc
  const quietMs = options.quietMs ?? DEFAULT_QUIET_MS
  const clock = options.clock ?? nodeClock
  const collections = Math.max(1, Math.floor(options.collections ?? 2))
  let pending: unknown = null
  /** Collections still due in this quiet period (0 until traffic has come and gone). */
  let due = 0
  let dirty = false

  const cancel = (): void => {
    if (pending === null) return
    clock.clearTimeout(pending)
    pending = null
  }
  return {
    busy(): void {
      dirty = true
      cancel()
    },
    idle(): void {
      if (gc === null || !dirty) return
      cancel()
      dirty = false
      due = collections
      const collect = (): void => {
        pending = null
        due--
        gc()
        if (due > 0) pending = clock.setTimeout(collect, quietMs)
      }
      pending = clock.setTimeout(collect, quietMs)
    },
    close(): void {
      cancel()
      dirty = false
      due = 0
    },
  }
}

let cached: (() => void) | null | undefined

/**
 * V8's full collection, `globalThis.gc` when Node runs with `--expose-gc`; otherwise obtained
 * once by setting the flag at run time and reading `gc` from a fresh context (Node documents
 * flags set after start-up as unsupported, so a failure yields `null`: the collector then does
 * nothing). The flag is switched back off so no other context sees a global `gc`.
 */
export function obtainGc(): (() => void) | null {
  if (cached !== undefined) return cached
  const existing = (globalThis as { gc?: unknown }).gc
  if (typeof existing === 'function') {
    cached = existing as () => void
    return cached
  }
  try {
    // Loaded here, not imported: an idle relay that has collected nothing never loads them.
    const { setFlagsFromString } = process.getBuiltinModule('node:v8')
    const { runInNewContext } = process.getBuiltinModule('node:vm')
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    setFlagsFromString('--no-expose-gc')
    cached = typeof gc === 'function' ? (gc as () => void) : null
  } catch {
    cached = null
  }
  return cached
}

/**
 * A full collection that calls `obtain` ({@link obtainGc} by default) on its first run only, so a
 * relay that has served nothing holds no second V8 context and has not loaded `node:vm` or
 * `node:v8` (bench/findings.md, "Cold idle, attributed"). A no-op where no collection can be obtained.
 */
export function gcOnFirstUse(obtain: () => (() => void) | null = obtainGc): () => void {
  let gc: (() => void) | null | undefined
  return () => {
    if (gc === undefined) gc = obtain()
    gc?.()
  }
}

/**
 * What the pool keeps of one usage reading: the used share of the account's longest window (the
 * one that decides how long an account stays useful) and whether any window is spent.
 */
export interface UsageSignal {
  /** Integer used percent of the longest window; null when the payload had no usable window. */
  usedPercent: number | null
  /** Length of that window in seconds, when known. */
  windowSeconds: number | null
  /** True when the payload says the account cannot serve now (limit reached, not allowed, a window at 100 %). */
  exhausted: boolean
  /** For an exhausted account: the longest time to reset among spent windows, in seconds, when known. */
  resetsInSeconds: number | null
}

/** The part of a normalised usage window the pool reads (`UsageWindow` fits). */
export interface UsageWindowLike {
  used_percent?: number | null
  window_seconds?: number | null
  reset_after_seconds?: number | null
  resets_in_seconds?: number | null
}

/** The part of a normalised usage snapshot the pool reads (`UsageSnapshot` fits). */
export interface UsageSnapshotLike {
  rate_limits?: {
    default?: {
      allowed?: boolean | null
      limit_reached?: boolean | null
      primary_window?: UsageWindowLike | null
      secondary_window?: UsageWindowLike | null
    } | null
  } | null
  rate_limit_reached_type?: unknown
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

interface Window {
  used: number | null
  seconds: number | null
  resetIn: number | null
}

function fromWindows(
  windows: Window[],
  flags: { allowed: boolean | null; limitReached: boolean | null; reachedType: unknown },
): UsageSignal {
  const usable = windows.filter((w) => w.used !== null)
  // The longest window decides; a window of unknown length ranks below any known length.
  let longest: Window | null = null
  for (const w of usable) {
    if (longest === null || (w.seconds ?? -1) > (longest.seconds ?? -1)) longest = w
  }
  const spent = windows.filter((w) => w.used !== null && w.used >= 100)
  const reached =
    (flags.reachedType !== null && flags.reachedType !== undefined && flags.reachedType !== '') ||
    flags.limitReached === true ||
    flags.allowed === false
  const exhausted = reached || spent.length > 0
  let resetsIn: number | null = null
  for (const w of spent.length > 0 ? spent : reached ? windows : []) {
    if (w.resetIn !== null && (resetsIn === null || w.resetIn > resetsIn)) resetsIn = w.resetIn
  }
  return {
    usedPercent: longest?.used === null || longest === null ? null : Math.floor(longest.used as number),
    windowSeconds: longest?.seconds ?? null,
    exhausted,
    resetsInSeconds: exhausted ? resetsIn : null,
  }
}

/**
 * The signal of a normalised `/wham/usage` snapshot: windows are told apart by their length
 * (`limit_window_seconds`), not by their slot, so Plus (5 h + weekly) and Enterprise (weekly
 * only, in either slot) payloads both rank by the weekly window.
 */
export function usageSignalFromSnapshot(snapshot: UsageSnapshotLike): UsageSignal {
  const limit = snapshot?.rate_limits?.default ?? null
  const windows: Window[] = []
  for (const w of [limit?.primary_window, limit?.secondary_window]) {
    if (!w) continue
    windows.push({
      used: finite(w.used_percent),
      seconds: finite(w.window_seconds),
      resetIn: finite(w.reset_after_seconds) ?? finite(w.resets_in_seconds),
    })
  }
  return fromWindows(windows, {
    allowed: typeof limit?.allowed === 'boolean' ? limit.allowed : null,
    limitReached: typeof limit?.limit_reached === 'boolean' ? limit.limit_reached : null,
    reachedType: snapshot?.rate_limit_reached_type ?? null,
  })
}

/**
 * The signal of the `x-codex-*` headers of a backend answer (lower-case names):
 * `x-codex-{primary,secondary}-used-percent`, `-window-minutes`, `-reset-after-seconds`. Null when
 * the answer carried none.
 */
export function usageSignalFromHeaders(headers: Record<string, string | undefined>): UsageSignal | null {
  const windows: Window[] = []
  for (const slot of ['primary', 'secondary']) {
    const used = Number.parseFloat(headers[`x-codex-${slot}-used-percent`] ?? '')
    if (!Number.isFinite(used)) continue
    const minutes = Number.parseFloat(headers[`x-codex-${slot}-window-minutes`] ?? '')
    const resetIn = Number.parseFloat(headers[`x-codex-${slot}-reset-after-seconds`] ?? '')
    windows.push({
      used,
      seconds: Number.isFinite(minutes) ? minutes * 60 : null,
      resetIn: Number.isFinite(resetIn) ? resetIn : null,
    })
  }
  if (windows.length === 0) return null
  return fromWindows(windows, { allowed: null, limitReached: null, reachedType: null })
}

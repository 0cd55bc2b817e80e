// Small statistics helpers for the benchmark: percentiles, medians and spreads of plain number arrays.

/** Ascending copy of a number array. */
export function sorted(values) {
  return Float64Array.from(values).sort()
}

/**
 * Percentile `p` (0–100) of an ascending array, linear interpolation between closest ranks.
 * Returns null for an empty array.
 */
export function percentileOfSorted(asc, p) {
  const n = asc.length
  if (n === 0) return null
  if (n === 1) return asc[0]
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return asc[lo] + (asc[hi] - asc[lo]) * (rank - lo)
}

/** Percentile `p` (0–100) of an unsorted array. */
export function percentile(values, p) {
  return percentileOfSorted(sorted(values), p)
}

/** Median of an array (null when empty). */
export function median(values) {
  return percentile(values, 50)
}

/** Largest value (null when empty). */
export function max(values) {
  let best = null
  for (const v of values) if (best === null || v > best) best = v
  return best
}

/**
 * Relative spread of round values: (max − min) / median. 0 for fewer than two values; null when
 * the median is 0 or a value is missing.
 */
export function spread(values) {
  if (values.some((v) => v === null || !Number.isFinite(v))) return null
  if (values.length < 2) return 0
  const m = median(values)
  if (!m) return null
  return (Math.max(...values) - Math.min(...values)) / Math.abs(m)
}

/** Percentile curve points [[p, value], …] of a sample at the given percentiles. */
export function percentileCurve(values, points = defaultCurvePoints()) {
  const asc = sorted(values)
  if (asc.length === 0) return []
  return points.map((p) => [p, percentileOfSorted(asc, p)])
}

function defaultCurvePoints() {
  const out = []
  for (let p = 0; p <= 90; p += 5) out.push(p)
  out.push(95, 97.5, 99, 99.5, 99.9, 100)
  return out
}

/** Round to `digits` decimals (null stays null). */
export function round(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const f = 10 ** digits
  return Math.round(value * f) / f
}

// Figures, budgets and verdicts: turns a result into rows (figure, value, budget, verdict) and
// prints them as a table. Budgets are design.md §4; everything else is reported as information.

import {
  BUDGETS,
  MAX_SPREAD,
  m1Rows,
  m3Rows,
  m7Rows,
  ratelimitRows,
  startupRows,
  tokenCompareRows,
  wsRows,
} from './figures.mjs'
import { anthropicRows, dashRows, largeRows, longRows, m4m5Rows, notMeasuredRows } from './figures-scale.mjs'

export { BUDGETS, MAX_SPREAD }

/**
 * The rows of the report. Each row: { id, metric, label, value, display, unit, budget, verdict, reason, detail }.
 * verdict: PASS | MISS | inconclusive | info | n/a | smoke.
 */
export function buildFigures(result) {
  const gates = result.gates ?? {}
  const smoke = result.mode === 'smoke'

  const judge = (row, { metric, stability, rangeMs, rigBound, pass }) => {
    if (
      row.value === null ||
      row.value === undefined ||
      (typeof row.value === 'number' && !Number.isFinite(row.value))
    ) {
      row.verdict = 'n/a'
      row.reason ??= 'not measured'
      return row
    }
    if (smoke) {
      row.verdict = 'smoke'
      return row
    }
    const loadedAtStart = gates.loadAtStart !== undefined && gates.loadAtStart > gates.maxLoad
    const foreign = gates.foreign?.[metric]
    if (loadedAtStart) {
      row.verdict = 'inconclusive'
      row.reason = `1-min load average ${gates.loadAtStart.toFixed(2)} > ${gates.maxLoad} before starting`
    } else if (foreign && foreign.foreignCores > gates.maxForeign) {
      row.verdict = 'inconclusive'
      row.reason = `other processes used ${foreign.foreignCores.toFixed(2)} cores during ${metric} (> ${gates.maxForeign})`
    } else if (
      stability !== undefined &&
      (stability === null || stability > MAX_SPREAD) &&
      !(typeof rangeMs === 'number' && rangeMs < (gates.spreadFloorMs ?? 0))
    ) {
      row.verdict = 'inconclusive'
      row.reason = `direct arm unstable: spread ${stability === null ? '?' : `${(stability * 100).toFixed(0)}%`} across rounds (> ${MAX_SPREAD * 100}%)`
    } else if (rigBound) {
      row.verdict = 'inconclusive'
      row.reason = rigBound
    } else if (pass === undefined) row.verdict = 'info'
    else row.verdict = pass ? 'PASS' : 'MISS'
    return row
  }

  const m = result.measurements ?? {}
  const rows = [
    ...m1Rows(m, judge),
    ...m3Rows(m, judge),
    ...dashRows(m, judge),
    ...anthropicRows(m, judge),
    ...m4m5Rows(m, judge),
    ...longRows(m, judge),
    ...largeRows(m, judge),
    ...m7Rows(m, judge, result),
    ...startupRows(m, judge),
    ...ratelimitRows(m, judge),
    ...tokenCompareRows(m, judge),
    ...wsRows(m, judge),
  ]
  // A full run (or an older full result) lists every budget, measured or not.
  return result.mode === 'full' ? [...rows, ...notMeasuredRows(rows)] : rows
}

/** The report as a fixed-width text table. */
export function formatTable(rows) {
  const head = ['Figure', 'Value', 'Budget', 'Verdict']
  const body = rows.map((r) => [
    r.label,
    r.verdict === 'inconclusive' || r.verdict === 'n/a' ? r.verdict : r.display,
    r.budget,
    r.verdict === 'inconclusive' || r.verdict === 'n/a' ? `${r.verdict}` : r.verdict,
  ])
  const widths = head.map((h, i) => Math.min(72, Math.max(h.length, ...body.map((b) => String(b[i]).length))))
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ')
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')]
  for (const [i, b] of body.entries()) {
    out.push(line(b))
    const r = rows[i]
    const notes = [
      r.detail,
      r.reason && r.verdict !== 'PASS' && r.verdict !== 'MISS' ? r.reason : null,
    ].filter(Boolean)
    for (const n of notes) out.push(`    ${n}`)
  }
  return out.join('\n')
}

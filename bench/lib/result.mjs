// The result object of a run: its skeleton, the baseline it compares with, the percentile curves
// kept for the docs, and the figures a smoke run must produce.

import { readFileSync } from 'node:fs'
import { percentileCurve, round } from './stats.mjs'

export function stripSamples(measurement) {
  if (!measurement || typeof measurement !== 'object') return measurement
  const { samples, ...rest } = measurement
  return rest
}

export function curves(measurements) {
  const out = {}
  if (measurements.M1?.samples) {
    out.m1LatencyMs = {
      direct: percentileCurve(measurements.M1.samples.direct).map(([p, v]) => [p, round(v)]),
      relay: percentileCurve(measurements.M1.samples.relay).map(([p, v]) => [p, round(v)]),
    }
  }
  if (measurements.M3?.samples) {
    out.m3TtftMs = {
      direct: percentileCurve(measurements.M3.samples.direct.ttft).map(([p, v]) => [p, round(v)]),
      relay: percentileCurve(measurements.M3.samples.relay.ttft).map(([p, v]) => [p, round(v)]),
    }
    out.m3GapMs = {
      direct: percentileCurve(measurements.M3.samples.direct.gaps).map(([p, v]) => [p, round(v)]),
      relay: percentileCurve(measurements.M3.samples.relay.gaps).map(([p, v]) => [p, round(v)]),
    }
  }
  return out
}

export function readBaseline(file, machine) {
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8'))
    if (
      prev.mode !== 'full' ||
      prev.machine?.nproc !== machine.nproc ||
      prev.machine?.cpuModel !== machine.cpuModel
    )
      return null
    // Only a judged figure is a baseline: not one from a loaded or unstable run.
    const judged = prev.figures?.find((f) => f.id === 'm7.ratio')
    if (!judged || judged.verdict === 'inconclusive' || judged.verdict === 'n/a') return null
    const ratio = prev.measurements?.M7?.ratio
    return typeof ratio === 'number'
      ? { m7Ratio: ratio, from: prev.date, gitSha: prev.machine?.gitSha ?? null }
      : null
  } catch {
    return null
  }
}

export function expectedFigureIds(selected) {
  const ids = []
  if (selected.includes('M1')) ids.push('m1.added_p50', 'm1.added_p99', 'm1.relay_cpu')
  if (selected.includes('M3'))
    ids.push('m3.added_ttft_p50', 'm3.added_ttft_p99', 'm3.added_gap_p50', 'm3.added_gap_p99')
  if (selected.includes('M4'))
    ids.push('m4.streams_', 'm4.wall_vs_direct', 'm5.per_extra_100', 'm5.idle', 'm5.peak', 'm5.after')
  if (selected.includes('LONG')) ids.push('long.cpu_per_event', 'long.lost')
  if (selected.includes('LARGE')) ids.push('large.added_p50', 'large.added_ttft_p50')
  if (selected.includes('ANTH')) ids.push('anth.added_ttft_p50')
  if (selected.includes('DASH')) ids.push('dash.m1_added_p50', 'dash.m3_added_ttft_p50')
  if (selected.includes('M7')) ids.push('m7.ratio', 'm7.relay_cpu')
  if (selected.includes('WS')) ids.push('ws.client_bytes', 'ws.upstream_bytes', 'ws.turn_ms')
  if (selected.includes('startup')) ids.push('startup.version', 'startup.status')
  if (selected.includes('ratelimit')) ids.push('ratelimit.ns')
  if (selected.includes('tokenCompare')) ids.push('a3.token_compare_delta')
  return ids
}

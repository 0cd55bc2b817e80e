// Command-line options of bench/run.mjs and the workload sizes of a full and a smoke run.

import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

export const METRICS = [
  'M1',
  'M3',
  'M4',
  'M5',
  'M7',
  'LONG',
  'LARGE',
  'ANTH',
  'DASH',
  'WS',
  'startup',
  'ratelimit',
  'tokenCompare',
]

export const USAGE = `Usage: node bench/run.mjs [options]     (pnpm bench builds first, then runs this)

Measures the relay against the upstream emulator, direct vs through-relay, interleaved rounds.

Options:
  --smoke              every measurement at tiny sizes (a few seconds), no budget judgement,
                       exits 1 when a figure is missing; writes bench/results/smoke.json, no docs
  --only LIST          comma-separated subset of ${METRICS.join(',')}
  --rounds N           measured rounds per arm (default 3, smoke 1), after one warm-up round per arm
  --json               print the result JSON on stdout (progress and table go to stderr)
  --out PATH           where to write the result JSON (default bench/results/latest.json for a
                       full run, bench/results/partial.json with --only, --profile or --ablate)
  --max-load X         1-minute load average above which the run is inconclusive (default 1.0)
  --wait-load S        wait up to S seconds for the load average to drop first (default 120)
  --max-foreign X      CPU cores other processes may use during a metric (default: --max-load),
                       the per-metric form of the load rule, our own processes excluded
  --relay MODE         cli (airelays serve), server (bench/relay-process.mjs) or auto (default)
  --profile DIR        run the relay under node --cpu-prof (profile written to DIR) and summarise it
  --heap-snapshot      with --profile: write a heap snapshot of the relay at the largest stream wave
  --levels LIST        M4 concurrency levels (default 10,100,500,1000,2000); makes the run partial
  --ablate LIST        diagnosis: start the relay with bench/relay-process.mjs --ablate LIST
                       (cached-credentials, no-traffic-log) to attribute a cost; never a full run
  --dashboard          keep a dashboard's event stream (GET /v1/relay/traffic/stream) open during
                       the relay measurements, to compare with a run without it; makes the run partial
  --docs-from PATH     only regenerate docs/performance.md (+ SVGs) from a result JSON
  -h, --help           this help`

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean' },
      only: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      'max-load': { type: 'string' },
      'wait-load': { type: 'string' },
      'max-foreign': { type: 'string' },
      relay: { type: 'string' },
      profile: { type: 'string' },
      'heap-snapshot': { type: 'boolean' },
      ablate: { type: 'string' },
      levels: { type: 'string' },
      dashboard: { type: 'boolean' },
      'docs-from': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const num = (name, raw, fallback, { integer = false, min = 0 } = {}) => {
    if (raw === undefined) return fallback
    const v = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
      throw new UsageError(`--${name} expects ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`)
    return v
  }
  let only = null
  if (values.only !== undefined) {
    only = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = only.filter((m) => !METRICS.some((k) => k.toLowerCase() === m.toLowerCase()))
    if (only.length === 0 || unknown.length)
      throw new UsageError(
        `--only: unknown metric(s) ${unknown.join(', ') || '(none given)'}; use ${METRICS.join(',')}`,
      )
    only = only.map((m) => METRICS.find((k) => k.toLowerCase() === m.toLowerCase()))
  }
  const relay = values.relay ?? 'auto'
  if (!['auto', 'cli', 'server'].includes(relay))
    throw new UsageError(`--relay expects auto, cli or server, got "${relay}"`)
  if (values['heap-snapshot'] && !values.profile) throw new UsageError('--heap-snapshot needs --profile DIR')
  if (values.ablate !== undefined && relay === 'cli')
    throw new UsageError('--ablate needs the relay started by bench/relay-process.mjs (--relay server)')
  const smoke = values.smoke === true
  return {
    help: values.help === true,
    smoke,
    only,
    rounds: values.rounds === undefined ? null : num('rounds', values.rounds, 3, { integer: true, min: 1 }),
    json: values.json === true,
    out: values.out,
    maxLoad: num('max-load', values['max-load'], 1.0),
    waitLoad: num('wait-load', values['wait-load'], smoke ? 0 : 120),
    maxForeign: num('max-foreign', values['max-foreign'], num('max-load', values['max-load'], 1.0)),
    relay,
    profile: values.profile ? resolve(values.profile) : null,
    heapSnapshot: values['heap-snapshot'] === true,
    ablate: values.ablate ?? null,
    levels: parseLevels(values.levels),
    dashboard: values.dashboard === true,
    docsFrom: values['docs-from'] ? resolve(values['docs-from']) : null,
  }
}

export class UsageError extends Error {}

function parseLevels(raw) {
  if (raw === undefined) return null
  const levels = raw.split(',').map((s) => Number(s.trim()))
  if (levels.length === 0 || levels.some((l) => !Number.isInteger(l) || l < 1 || l > 5000))
    throw new UsageError(`--levels expects comma-separated integers from 1 to 5000, got "${raw}"`)
  return [...new Set(levels)].sort((a, b) => a - b)
}

/** Workload sizes: the full run and the smoke variant. */
export function sizes(smoke) {
  if (smoke)
    return {
      M1: { n: 5, warmup: 5, rounds: 1 },
      M3: { n: 2, events: 5, gapMs: 2, rounds: 1 },
      M4: {
        levels: [2, 4, 6],
        events: 6,
        gapMs: 2,
        settleMs: 200,
        rounds: 1,
        wallLevel: 4,
        rssLevels: [2, 4],
      },
      M7: { n: 20, warmup: 20, connections: 5, events: 5, rounds: 1 },
      LONG: { events: 5000, rounds: 1 },
      LARGE: { bytes: 64 * 1024, n: 3, warmup: 2, streams: 2, events: 3, rounds: 1 },
      ANTH: { n: 2, events: 5, gapMs: 2, rounds: 1 },
      DASH: { M1: { n: 5, warmup: 5, rounds: 1 }, M3: { n: 2, events: 5, gapMs: 2, rounds: 1 } },
      WS: { turns: 5, rounds: 1 },
      startup: { n: 1 },
      ratelimit: { iterations: 1000 },
      tokenCompare: { pairs: 20, rounds: 1 },
    }
  return {
    M1: { n: 400, warmup: 2000, rounds: 3 },
    // 34 streams × 3 rounds ≈ the 100 pairs of the method (performance-and-security.md A5)
    M3: { n: 34, events: 20, gapMs: 20, rounds: 3 },
    // Issue 23: 10 / 100 / 500 / 1,000 / 2,000 streams of 40 events; wall time judged at 500, RSS
    // per extra 100 streams between 100 and 1,000, RSS read 30 s after the sweep.
    M4: {
      levels: [10, 100, 500, 1000, 2000],
      events: 40,
      gapMs: 20,
      settleMs: 30_000,
      rounds: 3,
      wallLevel: 500,
      rssLevels: [100, 1000],
    },
    M7: { n: 1500, warmup: 4000, connections: 50, events: 20, rounds: 3 },
    LONG: { events: 10_000, rounds: 3 },
    LARGE: { bytes: 1024 * 1024, n: 20, warmup: 10, streams: 10, events: 5, rounds: 3 },
    ANTH: { n: 12, events: 20, gapMs: 20, rounds: 3 },
    DASH: { M1: { n: 400, warmup: 500, rounds: 3 }, M3: { n: 16, events: 20, gapMs: 20, rounds: 3 } },
    WS: { turns: 5, rounds: 5 },
    startup: { n: 15 },
    ratelimit: { iterations: null },
    tokenCompare: { pairs: 10_000, rounds: 3 },
  }
}

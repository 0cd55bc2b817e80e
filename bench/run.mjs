// `pnpm bench`: the relay against the upstream emulator, both as separate processes, measured
// direct-to-emulator vs through-relay in one interleaved run (performance-and-security.md A5).
// See bench/README.md for the method, the options and the output files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createClient, loadUndici } from './lib/client.mjs'
import { writeDocs } from './lib/docs.mjs'
import {
  measureM1,
  measureM3,
  measureM4,
  measureM7,
  measureRatelimit,
  measureStartup,
} from './lib/measures.mjs'
import {
  cliAvailable,
  load1,
  machineInfo,
  paths,
  prepareRelayHome,
  rssBytes,
  startEmulator,
  startForeignMeter,
  startRelay,
  startRssSampler,
  waitForQuiet,
} from './lib/processes.mjs'
import { formatProfile, newestProfile, summarizeProfile } from './lib/profile.mjs'
import { buildFigures, formatTable } from './lib/report.mjs'
import { percentileCurve, round } from './lib/stats.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const METRICS = ['M1', 'M3', 'M4', 'M5', 'M7', 'startup', 'ratelimit']

const USAGE = `Usage: node bench/run.mjs [options]     (pnpm bench builds first, then runs this)

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
  --levels LIST        M4 concurrency levels (default 10,50,100,250,500,1000); makes the run partial
  --ablate LIST        diagnosis: start the relay with bench/relay-process.mjs --ablate LIST
                       (cached-credentials, no-traffic-log) to attribute a cost; never a full run
  --docs-from PATH     only regenerate docs/performance.md (+ SVGs) from a result JSON
  -h, --help           this help`

function parseOptions(argv) {
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
    docsFrom: values['docs-from'] ? resolve(values['docs-from']) : null,
  }
}

class UsageError extends Error {}

function parseLevels(raw) {
  if (raw === undefined) return null
  const levels = raw.split(',').map((s) => Number(s.trim()))
  if (levels.length === 0 || levels.some((l) => !Number.isInteger(l) || l < 1 || l > 5000))
    throw new UsageError(`--levels expects comma-separated integers from 1 to 5000, got "${raw}"`)
  return [...new Set(levels)].sort((a, b) => a - b)
}

/** Workload sizes: the full run and the smoke variant. */
function sizes(smoke) {
  if (smoke)
    return {
      M1: { n: 5, warmup: 5, rounds: 1 },
      M3: { n: 2, events: 5, gapMs: 2, rounds: 1 },
      M4: { levels: [2, 4], events: 6, gapMs: 2, settleMs: 200, rounds: 1 },
      M7: { n: 20, warmup: 20, connections: 5, events: 5, rounds: 1 },
      startup: { n: 1 },
      ratelimit: { iterations: 1000 },
    }
  return {
    M1: { n: 400, warmup: 2000, rounds: 3 },
    // 34 streams × 3 rounds ≈ the 100 pairs of the method (performance-and-security.md A5)
    M3: { n: 34, events: 20, gapMs: 20, rounds: 3 },
    M4: { levels: [10, 50, 100, 250, 500, 1000], events: 64, gapMs: 20, settleMs: 5000, rounds: 3 },
    M7: { n: 1500, warmup: 4000, connections: 50, events: 20, rounds: 3 },
    startup: { n: 10 },
    ratelimit: { iterations: null },
  }
}

function stripSamples(measurement) {
  if (!measurement || typeof measurement !== 'object') return measurement
  const { samples, ...rest } = measurement
  return rest
}

function curves(measurements) {
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

function readBaseline(file, machine) {
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

async function main() {
  let opts
  try {
    opts = parseOptions(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`)
    return 2
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const log = (line) => process.stderr.write(`${line}\n`)
  const print = opts.json ? log : (line) => process.stdout.write(`${line}\n`)

  if (opts.docsFrom) {
    const result = JSON.parse(readFileSync(opts.docsFrom, 'utf8'))
    const written = writeDocs(root, result, buildFigures(result))
    for (const f of written) print(`wrote ${relative(root, f)}`)
    return 0
  }

  const p = paths(root)
  const selected = new Set(opts.only ?? METRICS)
  if (selected.has('M5')) selected.add('M4')
  const size = sizes(opts.smoke)
  const needsRelay = ['M1', 'M3', 'M4', 'M7'].some((m) => selected.has(m))
  const needsEmulator = needsRelay || selected.has('startup')
  const full = !opts.smoke && !opts.only && !opts.ablate && !opts.profile && !opts.levels
  if (opts.levels) size.M4.levels = opts.levels
  const out = resolve(
    opts.out ??
      join(root, 'bench/results', opts.smoke ? 'smoke.json' : full ? 'latest.json' : 'partial.json'),
  )

  const missing = []
  if (needsEmulator && !existsSync(p.emulatorDist)) missing.push(relative(root, p.emulatorDist))
  if (selected.has('ratelimit') && !existsSync(p.ratelimitDist)) missing.push(relative(root, p.ratelimitDist))
  const haveCli = cliAvailable(root)
  let relayMode = opts.relay === 'auto' ? (haveCli && !opts.ablate ? 'cli' : 'server') : opts.relay
  if (needsRelay && relayMode === 'cli' && !haveCli)
    missing.push(`${relative(root, p.cliBin)} (the built CLI)`)
  if (needsRelay && relayMode === 'server' && !(existsSync(p.serverDist) && existsSync(p.configDist)))
    missing.push(`${relative(root, p.serverDist)} and ${relative(root, p.configDist)}`)
  if (missing.length) {
    log(`bench: missing build output: ${missing.join(', ')}. Run \`pnpm build\` (or \`pnpm bench\`) first.`)
    return 1
  }
  if (!needsRelay) relayMode = null

  const machine = machineInfo(root)
  const result = {
    schema: 1,
    name: 'airelays-bench',
    mode: opts.smoke ? 'smoke' : full ? 'full' : opts.ablate || opts.profile ? 'diagnostic' : 'partial',
    date: new Date().toISOString(),
    machine,
    pinning: 'unpinned',
    relay: relayMode
      ? { mode: relayMode, command: relayMode === 'cli' ? 'airelays serve' : 'bench/relay-process.mjs' }
      : null,
    rounds: Object.fromEntries(['M1', 'M3', 'M4', 'M7'].map((m) => [m, opts.rounds ?? size[m].rounds])),
    warmupRoundsPerArm: 1,
    sizes: Object.fromEntries(
      Object.entries(size).filter(([k]) => selected.has(k) || (k === 'M4' && selected.has('M5'))),
    ),
    selected: METRICS.filter((m) => selected.has(m)),
    gates: {
      maxLoad: opts.maxLoad,
      maxForeign: opts.maxForeign,
      maxSpread: 0.15,
      spreadFloorMs: 0.1,
      foreign: {},
    },
    baseline: readBaseline(join(root, 'bench/results/latest.json'), machine),
    measurements: {},
    errors: {},
  }

  log(
    `AIRelays bench (${result.mode}) — ${machine.nproc} × ${machine.cpuModel}, node ${machine.node}, unpinned`,
  )
  const waitStart = Date.now()
  result.gates.loadAtStart = round(await waitForQuiet(opts.maxLoad, opts.waitLoad, log), 2)
  result.gates.waitedSeconds = Math.round((Date.now() - waitStart) / 1000)
  log(`  1-minute load average at start: ${result.gates.loadAtStart}`)

  const ctx = { root, opts, log, emulator: null, relay: null, home: null, client: null, sampler: null }
  const own = () => [ctx.emulator?.pid, ctx.relay?.pid].filter(Boolean)
  const cleanups = []
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()()
      } catch (error) {
        log(`  cleanup: ${error.message}`)
      }
    }
  }
  let interrupted = false
  const onSignal = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    log('interrupted: stopping the emulator and the relay')
    cleanup().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const step = async (name, metric, fn) => {
    log(`  ${name}`)
    const meter = startForeignMeter(own)
    try {
      result.measurements[metric] = await fn()
    } catch (error) {
      result.errors[metric] = String(error?.stack ?? error)
      log(`  ${metric} failed: ${error?.message ?? error}`)
    } finally {
      const f = meter()
      result.gates.foreign[metric] = {
        foreignCores: round(f.foreignCores, 3),
        ownCores: round(f.ownCores, 3),
        stealCores: round(f.stealCores, 3),
        seconds: round(f.seconds, 1),
      }
    }
  }

  try {
    if (selected.has('ratelimit'))
      await step('ratelimit microbenchmark (bench/ratelimit.bench.mjs --json)', 'ratelimit', () =>
        measureRatelimit(ctx, { script: p.ratelimitBench, iterations: size.ratelimit.iterations }),
      )

    if (needsEmulator) {
      ctx.emulator = await startEmulator(root)
      cleanups.push(() => ctx.emulator.stop())
      ctx.home = await prepareRelayHome(ctx.emulator)
      cleanups.push(() => ctx.home.cleanup())
      log(`  emulator ${ctx.emulator.url} (pid ${ctx.emulator.pid})`)
    }

    if (selected.has('startup')) {
      if (!haveCli) {
        result.measurements.startup = { unavailable: 'not available: the CLI (apps/cli) is not built' }
        log('  start-up: not available (the CLI is not built)')
      } else
        await step('start-up of the CLI', 'startup', () =>
          measureStartup(ctx, { n: size.startup.n, cliBin: p.cliBin, env: ctx.home.env }),
        )
    }

    if (needsRelay) {
      const nodeArgs = []
      if (opts.profile) {
        mkdirSync(opts.profile, { recursive: true })
        nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profile}`)
        if (opts.heapSnapshot)
          nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${opts.profile}`)
      }
      const scriptArgs = opts.ablate ? ['--ablate', opts.ablate] : []
      ctx.relay = await startRelay(root, ctx.home, { mode: relayMode, nodeArgs, scriptArgs })
      cleanups.push(async () => {
        ctx.sampler?.stop()
        await ctx.relay.stop()
      })
      if (opts.heapSnapshot) ctx.heapSnapshot = { pid: ctx.relay.pid, taken: false }
      log(`  relay ${ctx.relay.url} (${relayMode}, pid ${ctx.relay.pid})`)
      await new Promise((r) => setTimeout(r, opts.smoke ? 100 : 1000))
      const cold = rssBytes(ctx.relay.pid)
      ctx.coldIdleMB = cold === null ? null : round(cold / 1024 / 1024, 1)
      ctx.sampler = startRssSampler(ctx.relay.pid, 50)
      ctx.client = createClient(loadUndici(root))
      cleanups.push(() => ctx.client.close())

      if (selected.has('M1'))
        await step('M1 non-stream latency, concurrency 1', 'M1', () =>
          measureM1(ctx, { ...size.M1, rounds: opts.rounds ?? size.M1.rounds }),
        )
      if (selected.has('M3'))
        await step('M3 stream: time to first token and inter-event gaps, concurrency 1', 'M3', () =>
          measureM3(ctx, { ...size.M3, rounds: opts.rounds ?? size.M3.rounds }),
        )
      if (selected.has('M7'))
        await step('M7 stream throughput at 50 connections', 'M7', () =>
          measureM7(ctx, { ...size.M7, rounds: opts.rounds ?? size.M7.rounds }),
        )
      if (selected.has('M4'))
        await step('M4/M5 concurrent streams sweep and relay RSS', 'M4', () =>
          measureM4(ctx, { ...size.M4, rounds: opts.rounds ?? size.M4.rounds }),
        )
    }
  } finally {
    await cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  if (opts.profile) {
    const file = newestProfile(opts.profile)
    if (file) {
      result.profile = summarizeProfile(file)
      log(formatProfile(result.profile))
    } else log(`  no CPU profile was written to ${opts.profile} (did the relay exit cleanly?)`)
  }

  result.curves = curves(result.measurements)
  for (const k of Object.keys(result.measurements))
    result.measurements[k] = stripSamples(result.measurements[k])
  result.gates.loadAtEnd = round(load1(), 2)
  const figures = buildFigures(result)
  result.figures = figures.map(({ id, label, value, display, budget, verdict, reason, detail }) => ({
    id,
    label,
    value,
    display,
    budget,
    verdict,
    reason: reason ?? null,
    detail: detail ?? null,
  }))

  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)

  print('')
  print(formatTable(figures))
  for (const [metric, error] of Object.entries(result.errors))
    print(`\n${metric} failed: ${error.split('\n')[0]}`)
  print(`\nresult: ${relative(process.cwd(), out)}`)
  if (full) {
    for (const f of writeDocs(root, result, figures)) print(`wrote ${relative(process.cwd(), f)}`)
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)

  const broken = Object.keys(result.errors).length > 0
  if (opts.smoke) {
    const missingFigures = figures.filter((f) => f.verdict === 'n/a')
    const expected = expectedFigureIds(result.selected)
    const absent = expected.filter((id) => !figures.some((f) => f.id.startsWith(id)))
    if (broken || missingFigures.length || absent.length) {
      for (const f of missingFigures) print(`smoke: no figure for "${f.label}": ${f.reason}`)
      for (const id of absent) print(`smoke: figure ${id} missing`)
      print('smoke: FAILED — the harness did not produce every figure')
      return 1
    }
    print(`smoke: OK — ${figures.length} figures produced`)
    return 0
  }
  return broken ? 1 : 0
}

function expectedFigureIds(selected) {
  const ids = []
  if (selected.includes('M1')) ids.push('m1.added_p50', 'm1.added_p99', 'm1.relay_cpu')
  if (selected.includes('M3'))
    ids.push('m3.added_ttft_p50', 'm3.added_ttft_p99', 'm3.added_gap_p50', 'm3.added_gap_p99')
  if (selected.includes('M4')) ids.push('m4.streams_', 'm5.per_extra_100', 'm5.idle', 'm5.peak', 'm5.after')
  if (selected.includes('M7')) ids.push('m7.ratio', 'm7.relay_cpu')
  if (selected.includes('startup')) ids.push('startup.version', 'startup.status')
  if (selected.includes('ratelimit')) ids.push('ratelimit.ns')
  return ids
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    process.stderr.write(`bench: ${error?.stack ?? error}\n`)
    process.exitCode = 1
  },
)

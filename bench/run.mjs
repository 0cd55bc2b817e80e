// `pnpm bench`: the relay against the upstream emulator, both as separate processes, measured
// direct-to-emulator vs through-relay in one interleaved run (performance-and-security.md A5).
// See bench/README.md for the method, the options and the output files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, loadUndici } from './lib/client.mjs'
import { writeDocs } from './lib/docs.mjs'
import { load1, machineInfo, startForeignMeter, waitForQuiet } from './lib/machine.mjs'
import { measureM1, measureM3, measureM4, measureM7 } from './lib/measures.mjs'
import { measureAnthropic, measureLarge, measureLong, measureWithFeed } from './lib/measures-scale.mjs'
import { EXTRA_CA_VAR, measureRatelimit, measureStartup, measureTokenCompare } from './lib/measures-tools.mjs'
import { measureWebSocketThread } from './lib/measures-websocket.mjs'
import { METRICS, parseOptions, sizes, USAGE } from './lib/options.mjs'
import {
  cliAvailable,
  paths,
  prepareRelayHome,
  rssBytes,
  startEmulator,
  startRelay,
  startRssSampler,
} from './lib/processes.mjs'
import { formatProfile, newestProfile, summarizeProfile } from './lib/profile.mjs'
import { buildFigures, formatTable } from './lib/report.mjs'
import { curves, expectedFigureIds, readBaseline, stripSamples } from './lib/result.mjs'
import { round } from './lib/stats.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** The metrics measured against a running relay, each with its own rounds. */
const RELAY_METRICS = ['M1', 'M3', 'M4', 'M7', 'LONG', 'LARGE', 'ANTH', 'DASH', 'WS']

/** What this run measures and needs, from the options. */
function planRun(opts) {
  const p = paths(root)
  const selected = new Set(opts.only ?? METRICS)
  if (selected.has('M5')) selected.add('M4')
  const size = sizes(opts.smoke)
  const needsRelay = RELAY_METRICS.some((m) => selected.has(m))
  const needsEmulator = needsRelay || selected.has('startup')
  const full = !opts.smoke && !opts.only && !opts.ablate && !opts.profile && !opts.levels && !opts.dashboard
  if (opts.levels) size.M4.levels = opts.levels
  const out = resolve(
    opts.out ??
      join(root, 'bench/results', opts.smoke ? 'smoke.json' : full ? 'latest.json' : 'partial.json'),
  )
  const haveCli = cliAvailable(root)
  const relayMode = opts.relay === 'auto' ? (haveCli && !opts.ablate ? 'cli' : 'server') : opts.relay
  return { p, selected, size, needsRelay, needsEmulator, full, out, haveCli, relayMode }
}

/** Build outputs the plan needs and does not find. */
function missingBuild(plan) {
  const { p, selected, needsEmulator, needsRelay, relayMode, haveCli } = plan
  const missing = []
  if (needsEmulator && !existsSync(p.emulatorDist)) missing.push(relative(root, p.emulatorDist))
  if (selected.has('ratelimit') && !existsSync(p.ratelimitDist)) missing.push(relative(root, p.ratelimitDist))
  if (selected.has('tokenCompare') && !(existsSync(p.serverDist) && existsSync(p.authStoreDist)))
    missing.push(`${relative(root, p.serverDist)} and ${relative(root, p.authStoreDist)}`)
  if (needsRelay && relayMode === 'cli' && !haveCli)
    missing.push(`${relative(root, p.cliBin)} (the built CLI)`)
  if (needsRelay && relayMode === 'server' && !(existsSync(p.serverDist) && existsSync(p.configDist)))
    missing.push(`${relative(root, p.serverDist)} and ${relative(root, p.configDist)}`)
  return missing
}

/** The result skeleton: run mode, machine, sizes, gates and the baseline to compare with. */
function newResult(opts, plan) {
  const { selected, size, full, relayMode } = plan
  const machine = machineInfo(root)
  return {
    schema: 1,
    name: 'airelays-bench',
    mode: opts.smoke ? 'smoke' : full ? 'full' : opts.ablate || opts.profile ? 'diagnostic' : 'partial',
    date: new Date().toISOString(),
    machine,
    pinning: 'unpinned',
    relay: relayMode
      ? { mode: relayMode, command: relayMode === 'cli' ? 'airelays serve' : 'bench/relay-process.mjs' }
      : null,
    rounds: Object.fromEntries(
      RELAY_METRICS.map((m) => [m, opts.rounds ?? size[m].rounds ?? size[m].M1?.rounds]),
    ),
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
}

/** Cleanups run in reverse order, once, also on SIGINT/SIGTERM. */
function cleanupStack(log) {
  const cleanups = []
  const run = async () => {
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
    run().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    push: (fn) => cleanups.push(fn),
    async close() {
      await run()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/** Runs one metric, keeping its result or its error and the foreign CPU used meanwhile. */
function stepRunner(ctx, result) {
  const own = () => [ctx.emulator?.pid, ctx.relay?.pid].filter(Boolean)
  return async (name, metric, fn) => {
    ctx.log(`  ${name}`)
    const meter = startForeignMeter(own)
    try {
      result.measurements[metric] = await fn()
    } catch (error) {
      result.errors[metric] = String(error?.stack ?? error)
      ctx.log(`  ${metric} failed: ${error?.message ?? error}`)
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
}

/** The measurements that need no relay process: the microbenchmarks and CLI start-up. */
async function measureStandalone(ctx, plan, result, step, cleanups) {
  const { p, selected, size, haveCli } = plan
  if (selected.has('ratelimit'))
    await step('ratelimit microbenchmark (bench/ratelimit.bench.mjs --json)', 'ratelimit', () =>
      measureRatelimit(ctx, { script: p.ratelimitBench, iterations: size.ratelimit.iterations }),
    )
  if (selected.has('tokenCompare'))
    await step(
      'bearer compare timing, information only (bench/token-compare.bench.mjs)',
      'tokenCompare',
      () => measureTokenCompare(ctx, { script: p.tokenCompareBench, ...size.tokenCompare }),
    )
  if (plan.needsEmulator) {
    ctx.emulator = await startEmulator(root)
    cleanups.push(() => ctx.emulator.stop())
    ctx.home = await prepareRelayHome(ctx.emulator)
    cleanups.push(() => ctx.home.cleanup())
    ctx.log(`  emulator ${ctx.emulator.url} (pid ${ctx.emulator.pid})`)
  }
  if (selected.has('startup')) {
    if (!haveCli) {
      result.measurements.startup = { unavailable: 'not available: the CLI (apps/cli) is not built' }
      ctx.log('  start-up: not available (the CLI is not built)')
    } else
      await step('start-up of the CLI', 'startup', () =>
        measureStartup(ctx, { n: size.startup.n, cliBin: p.cliBin, env: ctx.home.env }),
      )
  }
}

/** VmRSS in MB of a relay started with `home`'s environment as it is, `waitMs` after it answered. */
async function coldIdleOf(home, mode, waitMs) {
  const relay = await startRelay(root, home, { mode })
  try {
    await new Promise((r) => setTimeout(r, waitMs))
    const rss = rssBytes(relay.pid)
    return rss === null ? null : round(rss / 1024 / 1024, 1)
  } finally {
    await relay.stop()
  }
}

/** Starts the relay process (optionally profiled) and the client both arms use. */
async function startRelayArm(ctx, plan, cleanups) {
  const { opts } = ctx
  const nodeArgs = []
  if (opts.profile) {
    mkdirSync(opts.profile, { recursive: true })
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profile}`)
    if (opts.heapSnapshot) nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${opts.profile}`)
  }
  const scriptArgs = opts.ablate ? ['--ablate', opts.ablate] : []
  // The relay only talks to the loopback emulator over plain HTTP, so it never reads a CA bundle.
  // Like the start-up measure it runs without NODE_EXTRA_CA_CERTS (a user's machine normally does
  // not set it; Node 20 parses the bundle at process start, ≈ 1.6 MB of RSS); when the bench's
  // environment sets it, a relay of its own measures the cold idle with it, shown in the detail.
  const relayEnv = { ...ctx.home.env }
  delete relayEnv[EXTRA_CA_VAR]
  if (ctx.home.env[EXTRA_CA_VAR] !== undefined && !opts.profile)
    ctx.coldIdleWithExtraCaMB = await coldIdleOf(ctx.home, plan.relayMode, opts.smoke ? 100 : 1000)
  ctx.relay = await startRelay(
    root,
    { ...ctx.home, env: relayEnv },
    { mode: plan.relayMode, nodeArgs, scriptArgs },
  )
  cleanups.push(async () => {
    ctx.sampler?.stop()
    await ctx.relay.stop()
  })
  if (opts.heapSnapshot) ctx.heapSnapshot = { pid: ctx.relay.pid, taken: false }
  ctx.log(`  relay ${ctx.relay.url} (${plan.relayMode}, pid ${ctx.relay.pid})`)
  await new Promise((r) => setTimeout(r, opts.smoke ? 100 : 1000))
  const cold = rssBytes(ctx.relay.pid)
  ctx.coldIdleMB = cold === null ? null : round(cold / 1024 / 1024, 1)
  ctx.sampler = startRssSampler(ctx.relay.pid, 50)
  ctx.client = createClient(loadUndici(root))
  cleanups.push(() => ctx.client.close())
  if (opts.dashboard) {
    const watcher = await watchTraffic(ctx.relay.url, ctx.home.token)
    cleanups.push(async () => ctx.log(`  dashboard stream: ${await watcher.close()} request events received`))
    ctx.log('  dashboard event stream connected')
  }
}

/** A dashboard's event stream, read for as long as the run lasts; `close()` resolves with the events seen. */
async function watchTraffic(url, token) {
  const abort = new AbortController()
  const res = await fetch(`${url}/v1/relay/traffic/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: abort.signal,
  })
  if (!res.ok || !res.body) throw new Error(`the traffic stream answered HTTP ${res.status}`)
  let events = 0
  const decoder = new TextDecoder()
  const reading = (async () => {
    for await (const chunk of res.body) events += decoder.decode(chunk).split('event: request\n').length - 1
  })().catch(() => {})
  return {
    async close() {
      abort.abort()
      await reading
      return events
    },
  }
}

/** M1, M3, M7 and M4/M5: direct vs through-relay, interleaved. */
async function measureRelay(ctx, plan, step, cleanups) {
  const { selected, size } = plan
  const rounds = (m) => ctx.opts.rounds ?? size[m].rounds
  await startRelayArm(ctx, plan, cleanups)
  if (selected.has('M1'))
    await step('M1 non-stream latency, concurrency 1', 'M1', () =>
      measureM1(ctx, { ...size.M1, rounds: rounds('M1') }),
    )
  if (selected.has('M3'))
    await step('M3 stream: time to first token and inter-event gaps, concurrency 1', 'M3', () =>
      measureM3(ctx, { ...size.M3, rounds: rounds('M3') }),
    )
  if (selected.has('DASH')) {
    const r = ctx.opts.rounds
    const feedSize = {
      M1: { ...size.DASH.M1, rounds: r ?? size.DASH.M1.rounds },
      M3: { ...size.DASH.M3, rounds: r ?? size.DASH.M3.rounds },
    }
    await step('DASH M1 and M3 again with the dashboard traffic feed connected', 'DASH', () =>
      measureWithFeed(ctx, feedSize),
    )
  }
  if (selected.has('ANTH'))
    await step('ANTH Anthropic POST /v1/messages stream, concurrency 1', 'ANTH', () =>
      measureAnthropic(ctx, { ...size.ANTH, rounds: rounds('ANTH') }),
    )
  if (selected.has('M7'))
    await step('M7 stream throughput at 50 connections', 'M7', () =>
      measureM7(ctx, { ...size.M7, rounds: rounds('M7') }),
    )
  if (selected.has('LONG'))
    await step('LONG one long stream, CPU per streamed event', 'LONG', () =>
      measureLong(ctx, { ...size.LONG, rounds: rounds('LONG') }),
    )
  if (selected.has('LARGE'))
    await step('LARGE a large request, non-stream and stream', 'LARGE', () =>
      measureLarge(ctx, { ...size.LARGE, rounds: rounds('LARGE') }),
    )
  if (selected.has('WS'))
    await step('WS five-turn thread over the Responses WebSocket vs HTTP', 'WS', () =>
      measureWebSocketThread({ ...ctx, undici: loadUndici(ctx.root) }, { ...size.WS, rounds: rounds('WS') }),
    )
  if (selected.has('M4'))
    await step('M4/M5 concurrent streams sweep and relay RSS', 'M4', () =>
      measureM4(ctx, { ...size.M4, rounds: rounds('M4') }),
    )
}

/** Profile summary, curves, figures; writes the result JSON (and the docs after a full run). */
function finishResult(opts, plan, result, print, log) {
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
  mkdirSync(dirname(plan.out), { recursive: true })
  writeFileSync(plan.out, `${JSON.stringify(result, null, 2)}\n`)
  print('')
  print(formatTable(figures))
  for (const [metric, error] of Object.entries(result.errors))
    print(`\n${metric} failed: ${error.split('\n')[0]}`)
  print(`\nresult: ${relative(process.cwd(), plan.out)}`)
  if (plan.full)
    for (const f of writeDocs(root, result, figures)) print(`wrote ${relative(process.cwd(), f)}`)
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  return figures
}

/** The exit code: a smoke run fails when a figure is missing; any run fails on a metric error. */
function exitCode(opts, result, figures, print) {
  const broken = Object.keys(result.errors).length > 0
  if (!opts.smoke) return broken ? 1 : 0
  const missingFigures = figures.filter((f) => f.verdict === 'n/a')
  const absent = expectedFigureIds(result.selected).filter((id) => !figures.some((f) => f.id.startsWith(id)))
  if (broken || missingFigures.length || absent.length) {
    for (const f of missingFigures) print(`smoke: no figure for "${f.label}": ${f.reason}`)
    for (const id of absent) print(`smoke: figure ${id} missing`)
    print('smoke: FAILED — the harness did not produce every figure')
    return 1
  }
  print(`smoke: OK — ${figures.length} figures produced`)
  return 0
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
    for (const f of writeDocs(root, result, buildFigures(result))) print(`wrote ${relative(root, f)}`)
    return 0
  }

  const plan = planRun(opts)
  const missing = missingBuild(plan)
  if (missing.length) {
    log(`bench: missing build output: ${missing.join(', ')}. Run \`pnpm build\` (or \`pnpm bench\`) first.`)
    return 1
  }
  if (!plan.needsRelay) plan.relayMode = null
  const result = newResult(opts, plan)
  const { machine } = result
  log(
    `AIRelays bench (${result.mode}) — ${machine.nproc} × ${machine.cpuModel}, node ${machine.node}, unpinned`,
  )
  const waitStart = Date.now()
  result.gates.loadAtStart = round(await waitForQuiet(opts.maxLoad, opts.waitLoad, log), 2)
  result.gates.waitedSeconds = Math.round((Date.now() - waitStart) / 1000)
  log(`  1-minute load average at start: ${result.gates.loadAtStart}`)

  const ctx = { root, opts, log, emulator: null, relay: null, home: null, client: null, sampler: null }
  const cleanups = cleanupStack(log)
  const step = stepRunner(ctx, result)
  try {
    await measureStandalone(ctx, plan, result, step, cleanups)
    if (plan.needsRelay) await measureRelay(ctx, plan, step, cleanups)
  } finally {
    await cleanups.close()
  }
  const figures = finishResult(opts, plan, result, print, log)
  return exitCode(opts, result, figures, print)
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

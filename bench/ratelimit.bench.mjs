// Microbenchmark for @airelays/ratelimit (the per-request cost of the relay's security gate).
//
//   pnpm --filter @airelays/ratelimit build && node bench/ratelimit.bench.mjs [--json] [--iterations=N]
//
// Imports the BUILT package. Each scenario warms up, then runs several timed rounds with
// process.hrtime.bigint and reports the median ns per operation. One operation is one request:
// take + acquire + release (the primitives), or admit + release (what the middleware calls).
// Budget: well under 2 µs per request. `--json` prints one JSON object:
// { name: 'ratelimit', nsPerOp, iterations, keys, cpuNsPerOp, scenarios: [{ scenario, nsPerOp, cpuNsPerOp, keys }] }
// where nsPerOp is the wall-clock median of the slowest take + acquire + release scenario, and
// cpuNsPerOp the same in process CPU time (it shows how much of a wall figure is contention).

import { createRateLimiter } from '../packages/ratelimit/dist/index.js'

const args = process.argv.slice(2)
const json = args.includes('--json')
const iterationsArg = args.find((a) => a.startsWith('--iterations='))
const ITERATIONS = iterationsArg ? Number(iterationsArg.split('=')[1]) : 500_000
if (!Number.isSafeInteger(ITERATIONS) || ITERATIONS < 1000) {
  console.error('--iterations must be a whole number >= 1000')
  process.exit(2)
}
const ROUNDS = 5
const WARMUP = Math.min(200_000, ITERATIONS)
const KEY_COUNT = 10_000
const BUDGET_NS = 2000

// Limits high enough that every request is admitted: the admitted path is the one that matters.
const OPEN = { perMinute: 1e12, burst: 1_000_000_000, maxConcurrent: 1_000_000 }

function ipFor(i) {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}
const HOT = ['127.0.0.1']
const MANY = Array.from({ length: KEY_COUNT }, (_, i) => ipFor(i))

// Deterministic key sequence: xorshift over the 10k keys, and a mix where 1 in 10 requests
// comes from one of the 10k clients and the rest from the hot local client.
const SEQ_LEN = 1 << 16
function sequence(pick) {
  let x = 0x9e3779b9
  const out = new Array(SEQ_LEN)
  for (let i = 0; i < SEQ_LEN; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = pick(x >>> 0)
  }
  return out
}
const SEQ_HOT = sequence(() => HOT[0])
const SEQ_MANY = sequence((r) => MANY[r % KEY_COUNT])
const SEQ_MIX = sequence((r) => (r % 10 === 0 ? MANY[(r >>> 4) % KEY_COUNT] : HOT[0]))

let sink = 0

function primitives(limiter, keys, n) {
  const mask = SEQ_LEN - 1
  for (let i = 0; i < n; i++) {
    const key = keys[i & mask]
    const t = limiter.take(key)
    const slot = limiter.acquire(key)
    if (slot.ok) slot.release()
    sink += t.allowed ? 1 : 0
  }
}

function admitted(limiter, keys, n) {
  const mask = SEQ_LEN - 1
  for (let i = 0; i < n; i++) {
    const admission = limiter.admit(keys[i & mask])
    if (admission.ok) admission.release()
    else sink += admission.rejection.retryAfterSeconds
  }
}

function measure(run, keys, options) {
  const limiter = createRateLimiter(options)
  run(limiter, keys, WARMUP)
  const wall = []
  const cpu = []
  for (let r = 0; r < ROUNDS; r++) {
    const cpuStart = process.cpuUsage()
    const start = process.hrtime.bigint()
    run(limiter, keys, ITERATIONS)
    const elapsed = process.hrtime.bigint() - start
    const used = process.cpuUsage(cpuStart)
    wall.push(Number(elapsed) / ITERATIONS)
    cpu.push(((used.user + used.system) * 1000) / ITERATIONS)
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  return { wall: median(wall), cpu: median(cpu) }
}

const scenarios = [
  { scenario: 'take+acquire+release, 1 hot key', run: primitives, keys: SEQ_HOT, count: 1, primary: true },
  {
    scenario: 'take+acquire+release, 10k keys',
    run: primitives,
    keys: SEQ_MANY,
    count: KEY_COUNT,
    primary: true,
  },
  {
    scenario: 'take+acquire+release, 90% hot + 10k keys',
    run: primitives,
    keys: SEQ_MIX,
    count: KEY_COUNT + 1,
    primary: true,
  },
  { scenario: 'admit+release, 1 hot key', run: admitted, keys: SEQ_HOT, count: 1 },
  { scenario: 'admit+release, 10k keys', run: admitted, keys: SEQ_MANY, count: KEY_COUNT },
  {
    scenario: 'admit, default limits (flood: mostly 429)',
    run: admitted,
    keys: SEQ_HOT,
    count: 1,
    defaults: true,
  },
]

const results = []
for (const s of scenarios) {
  const { wall, cpu } = measure(s.run, s.keys, s.defaults ? {} : OPEN)
  results.push({
    scenario: s.scenario,
    nsPerOp: Math.round(wall * 10) / 10,
    cpuNsPerOp: Math.round(cpu * 10) / 10,
    keys: s.count,
    primary: !!s.primary,
  })
}

const primary = results.filter((r) => r.primary)
const worst = Math.max(...primary.map((r) => r.nsPerOp))
const worstCpu = Math.max(...primary.map((r) => r.cpuNsPerOp))
if (json) {
  process.stdout.write(
    `${JSON.stringify({
      name: 'ratelimit',
      nsPerOp: worst,
      iterations: ITERATIONS,
      keys: KEY_COUNT,
      cpuNsPerOp: worstCpu,
      scenarios: results.map(({ scenario, nsPerOp, cpuNsPerOp, keys }) => ({
        scenario,
        nsPerOp,
        cpuNsPerOp,
        keys,
      })),
    })}\n`,
  )
} else {
  console.log(
    `@airelays/ratelimit — ${ITERATIONS} iterations x ${ROUNDS} rounds (median), node ${process.version}`,
  )
  console.log(`  ${'scenario'.padEnd(48)} ${'wall ns/op'.padStart(11)} ${'cpu ns/op'.padStart(11)}`)
  for (const r of results) {
    console.log(
      `  ${r.scenario.padEnd(48)} ${r.nsPerOp.toFixed(1).padStart(11)} ${r.cpuNsPerOp.toFixed(1).padStart(11)}`,
    )
  }
  const verdict = worst < BUDGET_NS ? 'OK' : 'OVER BUDGET'
  console.log(
    `  worst take+acquire+release: ${worst.toFixed(1)} ns/op wall, ${worstCpu.toFixed(1)} ns/op cpu (budget ${BUDGET_NS} ns) ${verdict}`,
  )
  if (worst > worstCpu * 1.5)
    console.log('  note: wall >> cpu — other processes compete for the CPU; rerun on a quiet machine')
}
if (sink === -1) console.log('unreachable')

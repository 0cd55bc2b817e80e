// Measurements that run a separate script or binary: CLI start-up, the ratelimit microbenchmark
// and the bearer-compare timing figure (information only, never a gate).

import { runNode } from './processes.mjs'
import { median, round, spread } from './stats.mjs'

// ------------------------------------------------------------------------------------ start-up

/** Start-up time of `airelays --version` and `airelays status`: one warm-up spawn, then `n` timed. */
export async function measureStartup(ctx, { n, cliBin, env }) {
  const out = {}
  for (const [name, args] of [
    ['version', ['--version']],
    ['status', ['status']],
  ]) {
    const runs = []
    let failure
    await runNode([cliBin, ...args], { env, cwd: ctx.home.dir, timeoutMs: 30_000 })
    for (let i = 0; i < n; i++) {
      const res = await runNode([cliBin, ...args], { env, cwd: ctx.home.dir, timeoutMs: 30_000 })
      runs.push(round(res.ms, 1))
      if (res.code !== 0) failure ??= `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(0, 300)}`
    }
    out[name] = { ms: round(median(runs), 1), runs, failure, spread: round(spread(runs)) }
    ctx.log(
      `    start-up airelays ${args.join(' ')}: median ${out[name].ms} ms${failure ? ` (${failure})` : ''}`,
    )
  }
  return out
}

// ----------------------------------------------------------------------------------- ratelimit

/** Runs bench/ratelimit.bench.mjs --json (the ratelimit engineer's microbenchmark) and returns its result. */
export async function measureRatelimit(ctx, { script, iterations }) {
  const args = [script, '--json']
  if (iterations) args.push(`--iterations=${iterations}`)
  const res = await runNode(args, { cwd: ctx.root, timeoutMs: 300_000 })
  if (res.code !== 0)
    throw new Error(`ratelimit benchmark failed (exit ${res.code}): ${res.stderr.slice(0, 400)}`)
  const line = res.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1)
  if (!line) throw new Error(`ratelimit benchmark printed no JSON: ${res.stdout.slice(0, 300)}`)
  const parsed = JSON.parse(line)
  ctx.log(`    ratelimit: ${parsed.nsPerOp} ns per take+acquire+release (cpu ${parsed.cpuNsPerOp} ns)`)
  return { ...parsed, seconds: round(res.ms / 1000, 1) }
}

// ------------------------------------------------------------------------------- token compare

/**
 * Runs bench/token-compare.bench.mjs --json: the relay's 401 path for a wrong-first-byte vs a
 * wrong-last-byte token (B11 A3). Information only: the property is proven by unit tests.
 */
export async function measureTokenCompare(ctx, { script, pairs, rounds }) {
  const args = [script, '--json', `--pairs=${pairs}`, `--rounds=${rounds}`]
  const res = await runNode(args, { cwd: ctx.root, timeoutMs: 300_000 })
  if (res.code !== 0)
    throw new Error(`token-compare benchmark failed (exit ${res.code}): ${res.stderr.slice(0, 400)}`)
  const line = res.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1)
  if (!line) throw new Error(`token-compare benchmark printed no JSON: ${res.stdout.slice(0, 300)}`)
  const parsed = JSON.parse(line)
  ctx.log(
    `    bearer compare: Δ of medians ${parsed.deltaPct} % (spread ${parsed.deltaSpreadPct} points), wrong-first ${parsed.medianFirstUs} µs, wrong-last ${parsed.medianLastUs} µs`,
  )
  return { ...parsed, seconds: round(res.ms / 1000, 1) }
}

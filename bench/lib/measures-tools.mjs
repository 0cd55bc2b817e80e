// Measurements that run a separate script or binary: CLI start-up, the ratelimit microbenchmark
// and the bearer-compare timing figure (information only, never a gate).

import { runNode } from './processes.mjs'
import { median, round, spread } from './stats.mjs'

// ------------------------------------------------------------------------------------ start-up

/**
 * The variable that makes Node itself parse a CA bundle at start (this sandbox sets it to the
 * system bundle, ~140 certificates, about 75 ms of every `node` start); a user's machine usually
 * does not set it, so the budgets are judged on runs without it.
 */
export const EXTRA_CA_VAR = 'NODE_EXTRA_CA_CERTS'

/** What each start-up figure spawns (`node` + these arguments). */
const STARTUP_COMMANDS = {
  floor: () => ['-e', '0'],
  version: (cliBin) => [cliBin, '--version'],
  status: (cliBin) => [cliBin, 'status'],
}

/** One environment: `n` rounds of bare `node -e 0`, `airelays --version`, `airelays status`, interleaved. */
async function startupRuns(ctx, { n, cliBin, env }) {
  const names = Object.keys(STARTUP_COMMANDS)
  const runs = Object.fromEntries(names.map((name) => [name, []]))
  const failures = {}
  const spawnOne = (name) =>
    runNode(STARTUP_COMMANDS[name](cliBin), { env, cwd: ctx.home.dir, timeoutMs: 30_000 })
  for (const name of names) await spawnOne(name) // warm-up (page cache, the emulator's first answer)
  for (let i = 0; i < n; i++) {
    for (const name of names) {
      const res = await spawnOne(name)
      runs[name].push(round(res.ms, 1))
      if (res.code !== 0)
        failures[name] ??= `exit ${res.code}: ${(res.stderr || res.stdout).trim().slice(0, 300)}`
    }
  }
  const out = {}
  for (const name of names) {
    const r = runs[name]
    out[name] = { ms: round(median(r), 1), runs: r, failure: failures[name], spread: round(spread(r)) }
  }
  return out
}

/**
 * Start-up time of `airelays --version` and `airelays status` next to a bare `node -e 0` (the
 * floor: Node's own start on this machine, in the same minute), one warm-up spawn each, then `n`
 * interleaved rounds. Measured without `NODE_EXTRA_CA_CERTS` (the judged figures, top level) and,
 * when the bench's environment sets it, once more with the environment as it is (`withExtraCa`).
 */
export async function measureStartup(ctx, { n, cliBin, env }) {
  const bare = { ...env }
  delete bare[EXTRA_CA_VAR]
  const out = {
    extraCaCerts: env[EXTRA_CA_VAR] ?? null,
    ...(await startupRuns(ctx, { n, cliBin, env: bare })),
  }
  const line = (x, what) =>
    `    start-up ${what}: node -e 0 ${x.floor.ms} ms, airelays --version ${x.version.ms} ms, airelays status ${x.status.ms} ms${
      x.version.failure || x.status.failure ? ` (${x.version.failure ?? x.status.failure})` : ''
    }`
  ctx.log(line(out, `without ${EXTRA_CA_VAR}`))
  if (out.extraCaCerts !== null) {
    out.withExtraCa = await startupRuns(ctx, { n, cliBin, env })
    ctx.log(line(out.withExtraCa, `with ${EXTRA_CA_VAR}=${out.extraCaCerts}`))
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

// Timing figure of the bearer comparison (B11 A3), informational only: the relay's 401 path for a
// token with a wrong first byte vs a wrong last byte, through the built @airelays/server app
// (app.fetch, no sockets). The property itself — one SHA-256 per side and one timingSafeEqual over
// two 32-byte digests for every presented value — is proven deterministically in
// apps/server/test/bearer.test.ts; this only shows how close the two arms are on this machine.
//
//   pnpm build && node bench/token-compare.bench.mjs [--json] [--pairs=N] [--rounds=N]
//
// Each round runs N pairs in a seeded random A/B order (drift hits both arms alike) after a
// warm-up, and takes the median of each arm. `--json` prints one object:
// { name: 'token-compare', deltaPct, deltaSpreadPct, medianFirstUs, medianLastUs, pairs, rounds,
//   roundDeltasPct } where deltaPct is the median over rounds of |Δ median| / min(median) in %,
// and deltaSpreadPct the max − min of the per-round Δ (percentage points). Never a gate.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    pairs: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
  },
})
const PAIRS = Number(values.pairs)
const ROUNDS = Number(values.rounds)
if (!Number.isSafeInteger(PAIRS) || PAIRS < 10 || !Number.isSafeInteger(ROUNDS) || ROUNDS < 1) {
  console.error('--pairs must be a whole number >= 10 and --rounds >= 1')
  process.exit(2)
}

const { loadConfig } = await import('../packages/config/dist/index.js')
const { createRelayApp } = await import('../apps/server/dist/index.js')
const { generateRelayToken } = await import('../packages/auth-store/dist/index.js')

function flip(token, index) {
  const c = token[index] === 'A' ? 'B' : 'A'
  return token.slice(0, index) + c + token.slice(index + 1)
}

function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const dataDir = await mkdtemp(join(tmpdir(), 'airelays-bench-a3-'))
try {
  const env = {
    AIRELAYS_DATA_DIR: dataDir,
    AIRELAYS_AUTH_STORAGE: 'file',
    AIRELAYS_RATE_LIMIT_BURST: '100000000',
    AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000000',
    AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100000000',
  }
  const { config, errors } = await loadConfig({ env, homeDir: dataDir, cwd: dataDir })
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '))
  const token = generateRelayToken()
  const app = createRelayApp({ config, relayToken: token, trafficLog: false })
  const headers = [flip(token, 0), flip(token, token.length - 1)].map((t) => ({
    authorization: `Bearer ${t}`,
  }))
  const once = async (arm) => {
    const started = process.hrtime.bigint()
    const res = await app.fetch(new Request('http://127.0.0.1/v1/models', { headers: headers[arm] }))
    await res.arrayBuffer()
    const elapsed = Number(process.hrtime.bigint() - started)
    if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`)
    return elapsed
  }
  for (let i = 0; i < Math.min(3000, PAIRS); i++) await once(i % 2)
  let seed = 0x5eed
  const rounds = []
  for (let r = 0; r < ROUNDS; r++) {
    const samples = [[], []]
    for (let i = 0; i < PAIRS; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      const first = seed & 1
      samples[first].push(await once(first))
      samples[1 - first].push(await once(1 - first))
    }
    const a = median(samples[0])
    const b = median(samples[1])
    rounds.push({ a, b, deltaPct: (Math.abs(a - b) / Math.min(a, b)) * 100 })
  }
  const deltas = rounds.map((r) => r.deltaPct)
  const result = {
    name: 'token-compare',
    deltaPct: Number(median(deltas).toFixed(3)),
    deltaSpreadPct: Number((Math.max(...deltas) - Math.min(...deltas)).toFixed(3)),
    medianFirstUs: Number((median(rounds.map((r) => r.a)) / 1000).toFixed(2)),
    medianLastUs: Number((median(rounds.map((r) => r.b)) / 1000).toFixed(2)),
    pairs: PAIRS,
    rounds: ROUNDS,
    roundDeltasPct: deltas.map((d) => Number(d.toFixed(3))),
  }
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else
    console.log(
      `A3 bearer compare: wrong-first ${result.medianFirstUs} µs, wrong-last ${result.medianLastUs} µs, ` +
        `Δ of medians ${result.deltaPct} % (spread ${result.deltaSpreadPct} points over ${ROUNDS} rounds; information, not a gate)`,
    )
} finally {
  await rm(dataDir, { recursive: true, force: true })
}

// Paired comparison of relay builds on M3's workload (a streamed chat completion of 20 events at
// 20 ms, concurrency 1): time to first token through each build and straight to the emulator,
// with the requests of every round sent in a fresh random order, so that whatever the machine does
// meanwhile falls on every arm alike. It answers "is build B slower than build A?" where two
// separate `pnpm bench` runs cannot: on a 2-core machine the M3 figure of one and the same build
// moves by 1–2 ms from one run to the next (where the scheduler puts the three processes), more
// than the differences looked for.
//
//   node bench/compare-builds.mjs [--rounds 100] [--warmup 10] CHECKOUT...
//
// Each CHECKOUT is a built clone or worktree of this repository (`pnpm install && pnpm build`,
// e.g. `git worktree add /tmp/before <rev>`); its own bench/relay-process.mjs starts the relay, so
// its build is what is measured. `.` is this checkout. The emulator and the client are this
// checkout's. Prints, per arm, the time to first token (p25, p50, p75) and, per build, the median
// over rounds of its difference to the first build in the same round.

import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pace, targets } from './lib/arms.mjs'
import { createClient, loadUndici } from './lib/client.mjs'
import { prepareRelayHome, startEmulator, startRelay } from './lib/processes.mjs'
import { median, percentile } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PACING = { events: 20, gapMs: 20, ttftMs: 0 }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '100' }, warmup: { type: 'string', default: '10' } },
})
const rounds = Number(values.rounds)
const warmup = Number(values.warmup)
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(warmup) || warmup < 0) {
  console.error('--rounds must be an integer >= 1 and --warmup an integer >= 0')
  process.exit(2)
}
if (positionals.length === 0) {
  console.error('usage: node bench/compare-builds.mjs [--rounds N] [--warmup N] CHECKOUT...')
  process.exit(2)
}
const checkouts = positionals.map((dir) => resolve(dir))
for (const dir of checkouts) {
  if (!existsSync(join(dir, 'bench/relay-process.mjs')) || !existsSync(join(dir, 'apps/server/dist'))) {
    console.error(`${dir}: not a built checkout (bench/relay-process.mjs and apps/server/dist needed)`)
    process.exit(2)
  }
}

/** Start one relay per checkout; returns the request targets by arm name and what to stop. */
async function startArms(emulator, client) {
  const arms = new Map()
  const owned = []
  for (const [i, dir] of checkouts.entries()) {
    const home = await prepareRelayHome(emulator)
    owned.push(home)
    const relay = await startRelay(root, home, {
      mode: 'server',
      script: join(dir, 'bench/relay-process.mjs'),
    })
    owned.push(relay)
    const ctx = { relay, home, emulator, client, log: () => {} }
    const target = await targets(ctx, { stream: true, pacing: PACING })
    if (!arms.has('direct')) arms.set('direct', target.direct)
    arms.set(`${i + 1}:${dir}`, target.relay)
  }
  return { arms, owned }
}

/** `rounds + warmup` rounds, each arm once per round in a random order; TTFT per arm and round. */
async function measure(client, arms, emulator) {
  const names = [...arms.keys()]
  await pace({ emulator }, (rounds + warmup) * names.length, PACING)
  const ttft = new Map(names.map((name) => [name, []]))
  for (let r = 0; r < rounds + warmup; r++) {
    const order = names
      .map((name) => ({ name, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.name)
    for (const name of order) {
      const res = await client.stream(arms.get(name), { timings: true })
      if (!res.ok) throw new Error(`${name}: request failed: ${res.status} ${res.error ?? ''}`)
      if (r >= warmup) ttft.get(name).push(res.ttft)
    }
    if ((r + 1) % 10 === 0) process.stderr.write(`  round ${r + 1}/${rounds + warmup}\n`)
  }
  return ttft
}

function report(ttft) {
  const fmt = (ms) => ms.toFixed(2).padStart(7)
  const names = [...ttft.keys()]
  const direct = median(ttft.get('direct'))
  const first = names.find((name) => name !== 'direct')
  console.log(
    `time to first token over ${rounds} rounds (ms)        p25     p50     p75   added p50   vs first build`,
  )
  for (const name of names) {
    const v = ttft.get(name)
    const added = name === 'direct' ? '' : fmt(median(v) - direct)
    const paired =
      name === 'direct' || name === first
        ? ''
        : `${fmt(median(v.map((x, r) => x - ttft.get(first)[r])))} (median of per-round differences)`
    console.log(
      `${name.slice(0, 48).padEnd(48)} ${fmt(percentile(v, 25))} ${fmt(median(v))} ${fmt(percentile(v, 75))}   ${added.padStart(9)}   ${paired}`,
    )
  }
}

const emulator = await startEmulator(root)
const client = createClient(loadUndici(root))
let owned = []
try {
  const started = await startArms(emulator, client)
  owned = started.owned
  report(await measure(client, started.arms, emulator))
} finally {
  for (const thing of owned.reverse()) await (thing.stop ?? thing.cleanup)?.()
  await emulator.stop()
  await client.close()
}

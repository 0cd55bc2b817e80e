// The dashboard feed's cost per request, as deterministic proxies rather than latency: relay CPU
// time (from /proc/PID/stat) and write syscalls (from /proc/PID/io, socket and file writes) per
// request, over N sequential streamed chat requests, without and with a traffic feed
// (`GET /v1/relay/traffic/stream`) connected. Phases alternate (off, on, off, on, …).
//
//   node bench/feed-cost.mjs [--requests 400] [--pairs 3] [--before apps/server/dist-before]
//
// Needs `pnpm build`; starts the upstream emulator and bench/relay-process.mjs itself. With
// --before, a second relay runs another build of @airelays/server (a copy of its dist folder
// inside apps/server, so that its imports resolve) and the two are measured in turn, under the
// same machine load.

import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { cpuMs } from './lib/machine.mjs'
import { prepareRelayHome, startEmulator, startRelay } from './lib/processes.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    pairs: { type: 'string', default: '3' },
    before: { type: 'string' },
  },
})
const N = Number(values.requests)
const PAIRS = Number(values.pairs)

/** Write syscalls of a process so far (all threads). */
function syscw(pid) {
  const m = /syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))
  return m ? Number(m[1]) : Number.NaN
}

const emulator = await startEmulator(root)
/** The relays measured: `after` runs the current build, `before` (with --before) the other one. */
const arms = []
let launcher = null

async function streamOnce(arm) {
  const res = await fetch(`${arm.relay.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...arm.auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
    }),
  })
  const text = await res.text()
  if (!res.ok || !text.includes('[DONE]'))
    throw new Error(`stream failed: ${res.status} ${text.slice(0, 200)}`)
}

async function connectFeed(arm) {
  const controller = new AbortController()
  const res = await fetch(`${arm.relay.url}/v1/relay/traffic/stream`, {
    headers: arm.auth,
    signal: controller.signal,
  })
  const reader = res.body.getReader()
  await reader.read() // the `ready` frame: the subscription exists
  const stats = { chunks: 0, frames: 0 }
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        stats.chunks++
        stats.frames += Buffer.from(value).toString('utf8').split('\n\n').length - 1
      }
    } catch {}
  })()
  return { controller, reading, stats }
}

async function phase(arm, withFeed) {
  const feed = withFeed ? await connectFeed(arm) : null
  const { pid } = arm.relay
  const cpu0 = cpuMs(pid)
  const w0 = syscw(pid)
  for (let i = 0; i < N; i++) await streamOnce(arm)
  // let batched work (log flush, feed frames) land inside the window
  await new Promise((r) => setTimeout(r, 600))
  const cpu = cpuMs(pid) - cpu0
  const writes = syscw(pid) - w0
  if (feed) {
    feed.controller.abort()
    await feed.reading
  }
  return {
    arm: arm.name,
    feed: withFeed,
    cpuMsPerRequest: cpu / N,
    writesPerRequest: writes / N,
    feedReads: feed?.stats,
  }
}

/** The median of the phases of an arm (one phase's CPU time varies with the machine's load). */
function median(rows, name, on, key) {
  const xs = rows
    .filter((r) => r.arm === name && r.feed === on)
    .map((r) => r[key])
    .sort((a, b) => a - b)
  const mid = xs.length / 2
  const m = xs.length % 2 === 1 ? xs[Math.floor(mid)] : (xs[mid - 1] + xs[mid]) / 2
  return Math.round(m * 1000) / 1000
}

try {
  for (const name of values.before ? ['before', 'after'] : ['after']) {
    const home = await prepareRelayHome(emulator)
    let script
    if (name === 'before') {
      // bench/relay-process.mjs, importing the other build
      const dist = relative(join(root, 'bench'), resolve(values.before)).replaceAll('\\', '/')
      launcher = join(root, 'bench', `.feed-cost-relay-${process.pid}.mjs`)
      const source = readFileSync(join(root, 'bench/relay-process.mjs'), 'utf8')
      writeFileSync(launcher, source.replace('../apps/server/dist/index.js', `./${dist}/index.js`))
      script = launcher
    }
    const relay = await startRelay(root, home, { mode: 'server', script })
    arms.push({ name, home, relay, auth: { authorization: `Bearer ${home.token}` } })
  }
  for (const arm of arms) for (let i = 0; i < 500; i++) await streamOnce(arm) // warm-up (JIT)
  const rows = []
  for (let p = 0; p < PAIRS; p++) {
    for (const withFeed of p % 2 === 0 ? [false, true] : [true, false]) {
      for (const arm of p % 2 === 0 ? arms : [...arms].reverse()) {
        const row = await phase(arm, withFeed)
        rows.push(row)
        console.log(JSON.stringify(row))
      }
    }
  }
  for (const { name } of arms) {
    console.log(
      JSON.stringify({
        arm: name,
        requests: N,
        pairs: PAIRS,
        cpuMsPerRequest: {
          off: median(rows, name, false, 'cpuMsPerRequest'),
          on: median(rows, name, true, 'cpuMsPerRequest'),
        },
        writesPerRequest: {
          off: median(rows, name, false, 'writesPerRequest'),
          on: median(rows, name, true, 'writesPerRequest'),
        },
      }),
    )
  }
} finally {
  for (const arm of arms) {
    await arm.relay.stop()
    await arm.home.cleanup()
  }
  if (launcher) rmSync(launcher, { force: true })
  await emulator.stop()
}

// A large request's cost in the relay, as load-robust figures: relay CPU time (/proc/PID/stat,
// user + system) and minor page faults per request, over sequential non-stream chat requests
// carrying `--kb` KB of input (LARGE's body, traffic log on), and the wall time added over the
// emulator reached directly (the same upstream request replayed). With several checkouts, one
// relay per build, every round sends one request to each arm in a fresh random order, so that
// the machine's other work falls on every arm alike.
//
//   node bench/large-cost.mjs [--kb 1024] [--requests 60] [--warmup 10] [--mixed] [CHECKOUT...]
//
// --mixed sends text closer to a real session (newlines, quotes, a non-ASCII letter now and then)
// instead of LARGE's plain ASCII words, so every piece of it needs escaping and it is not ASCII.
// --profile DIR runs each relay under node --cpu-prof, writing its profile to DIR.
//
// Each CHECKOUT is a built clone or worktree (its own bench/relay-process.mjs starts the relay);
// none means this checkout. Needs `pnpm build`.

import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { targets } from './lib/arms.mjs'
import { createClient, loadUndici } from './lib/client.mjs'
import { cpuMs } from './lib/machine.mjs'
import { largeContent } from './lib/measures-scale.mjs'
import { prepareRelayHome, startEmulator, startRelay } from './lib/processes.mjs'
import { median, percentile } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kb: { type: 'string', default: '1024' },
    requests: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    mixed: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
})
const N = Number(values.requests)
const WARMUP = Number(values.warmup)
const MIXED = 'const x = "café";\n  return f(x) // a line of code in a long Codex session\n'
const content = values.mixed
  ? MIXED.repeat(Math.ceil((Number(values.kb) * 1024) / MIXED.length)).slice(0, Number(values.kb) * 1024)
  : largeContent(Number(values.kb) * 1024)
const checkouts = (positionals.length ? positionals : ['.']).map((d) => resolve(d))

/** Minor page faults of a process so far. */
function minorFaults(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
}

const emulator = await startEmulator(root)
const client = createClient(loadUndici(root))
const owned = []
try {
  const arms = []
  for (const dir of checkouts) {
    const home = await prepareRelayHome(emulator)
    owned.push(home)
    const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`] : []
    const script = join(dir, 'bench/relay-process.mjs')
    const relay = await startRelay(root, home, { mode: 'server', script, nodeArgs })
    owned.push(relay)
    const t = await targets({ relay, home, emulator, client, log: () => {} }, { stream: false, content })
    if (arms.length === 0) arms.push({ name: 'direct', pid: emulator.pid, target: t.direct, s: [] })
    arms.push({ name: dir, pid: relay.pid, target: t.relay, s: [] })
  }
  for (let r = 0; r < WARMUP + N; r++) {
    for (const arm of [...arms].sort(() => Math.random() - 0.5)) {
      const cpu0 = cpuMs(arm.pid)
      const flt0 = minorFaults(arm.pid)
      const res = await client.complete(arm.target)
      if (!res.ok) throw new Error(`${arm.name}: ${res.status} ${res.error ?? ''}`)
      // Let the relay's traffic log batch (50 ms) fall into this request's window.
      await new Promise((ok) => setTimeout(ok, 80))
      if (r >= WARMUP)
        arm.s.push({ ms: res.ms, cpu: cpuMs(arm.pid) - cpu0, flt: minorFaults(arm.pid) - flt0 })
    }
  }
  const direct = median(arms[0].s.map((x) => x.ms))
  console.log(
    `${values.kb} KB ${values.mixed ? 'mixed' : 'ASCII'}, non-stream, ${N} per arm          p50 ms  p75 ms  added p50  CPU ms/req  faults/req`,
  )
  for (const arm of arms) {
    const ms = arm.s.map((x) => x.ms)
    const cpu = arm.s.reduce((a, x) => a + x.cpu, 0) / N
    const flt = arm.s.reduce((a, x) => a + x.flt, 0) / N
    console.log(
      `${arm.name.slice(-40).padEnd(40)} ${median(ms).toFixed(2).padStart(14)} ${percentile(ms, 75).toFixed(2).padStart(7)} ${(arm.name === 'direct' ? '' : (median(ms) - direct).toFixed(2)).padStart(10)} ${cpu.toFixed(2).padStart(11)} ${flt.toFixed(0).padStart(11)}`,
    )
  }
} finally {
  for (const thing of owned.reverse()) await (thing.stop ?? thing.cleanup)?.()
  await emulator.stop()
  await client.close()
}

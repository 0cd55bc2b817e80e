// Child processes of the benchmark (the upstream emulator and the relay), how to start them,
// wait for them, stop them, and what /proc says about them (RSS, CPU time, machine load).

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Paths the benchmark needs, relative to the repository root. */
export function paths(root) {
  return {
    emulatorBin: join(root, 'packages/upstream-emulator/bin/upstream-emulator.mjs'),
    emulatorDist: join(root, 'packages/upstream-emulator/dist/cli.js'),
    cliBin: join(root, 'apps/cli/bin/airelays.mjs'),
    cliDist: join(root, 'apps/cli/dist'),
    serverDist: join(root, 'apps/server/dist/index.js'),
    configDist: join(root, 'packages/config/dist/index.js'),
    relayProcess: join(root, 'bench/relay-process.mjs'),
    ratelimitBench: join(root, 'bench/ratelimit.bench.mjs'),
    ratelimitDist: join(root, 'packages/ratelimit/dist/index.js'),
    tokenCompareBench: join(root, 'bench/token-compare.bench.mjs'),
    authStoreDist: join(root, 'packages/auth-store/dist/index.js'),
  }
}

/** A free loopback TCP port (bound, read, released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Spawn a node script; collects the last output for error messages. */
function spawnNode(args, { env, cwd, onLine } = {}) {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const tail = []
  const keep = (chunk) => {
    const text = chunk.toString('utf8')
    tail.push(text)
    if (tail.length > 40) tail.shift()
    if (onLine) for (const line of text.split('\n')) if (line.trim()) onLine(line)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, exited, output: () => tail.join('') }
}

/** Stop a child we started: SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(handle, graceMs = 15_000) {
  const { child, exited } = handle
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill('SIGTERM')
  let timer
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve()
    }, graceMs)
  })
  await Promise.race([exited, killed])
  clearTimeout(timer)
  return exited
}

/**
 * Start the upstream emulator bin (`--port 0 --json`) and resolve with its URLs once it printed them.
 * @returns {Promise<{ url: string, backendUrl: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startEmulator(root) {
  const p = paths(root)
  if (!existsSync(p.emulatorDist)) throw new Error(`${p.emulatorDist} is missing: run \`pnpm build\` first`)
  let resolveUrl
  const urlSeen = new Promise((resolve) => {
    resolveUrl = resolve
  })
  const handle = spawnNode([p.emulatorBin, '--port', '0', '--json'], {
    env: { ...process.env, NODE_ENV: 'production' },
    onLine: (line) => {
      if (line.startsWith('{')) {
        try {
          resolveUrl(JSON.parse(line))
        } catch {}
      }
    },
  })
  let timer
  const first = await Promise.race([
    urlSeen,
    handle.exited.then(() => null),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 15_000)
    }),
  ])
  clearTimeout(timer)
  if (!first) {
    await stopChild(handle, 1000)
    throw new Error(
      `upstream emulator did not start (${first === null ? 'exited' : 'timeout'}):\n${handle.output()}`,
    )
  }
  return {
    url: first.url,
    backendUrl: first.backendUrl,
    pid: handle.child.pid,
    stop: async () => {
      await stopChild(handle, 5000)
    },
  }
}

/** POST/GET the emulator control API. */
export async function emulatorControl(emulator, method, path, body) {
  const res = await fetch(`${emulator.url}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`emulator ${method} /__emulator/${path}: ${res.status} ${text.slice(0, 300)}`)
  return text ? JSON.parse(text) : null
}

/** Environment variables that would leak the caller's AIRelays settings into the benchmark relay. */
function cleanEnv() {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AIRELAYS?_|OPENAI_ENDPOINT_|XDG_)/.test(k)) continue
    if (/^(HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/.test(k)) continue
    env[k] = v
  }
  return env
}

/**
 * Prepare a throw-away installation for the relay: data dir with auth.json (a login issued by the
 * emulator, 0600), a home and config dir, and the environment that points the relay at the emulator.
 */
export async function prepareRelayHome(emulator) {
  const dir = await mkdtemp(join(tmpdir(), 'airelays-bench-'))
  const dataDir = join(dir, 'data')
  const home = join(dir, 'home')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  await mkdir(join(home, '.config'), { recursive: true })
  const auth = await emulatorControl(emulator, 'POST', 'stored-auth', {})
  const authFile = join(dataDir, 'auth.json')
  await writeFile(authFile, `${JSON.stringify(auth, null, 2)}\n`, { mode: 0o600 })
  await chmod(authFile, 0o600)
  const token = `bench-${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`
  const env = {
    ...cleanEnv(),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    NO_COLOR: '1',
    NODE_ENV: 'production',
    AIRELAYS_DATA_DIR: dataDir,
    AIRELAYS_AUTH_STORAGE: 'file',
    AIRELAYS_UPSTREAM_BASE_URL: emulator.backendUrl,
    AIRELAYS_ISSUER_BASE_URL: emulator.url,
    AIRELAYS_BEARER_TOKEN: token,
    AIRELAYS_REQUIRE_BEARER_AUTH: 'true',
    AIRELAYS_RATE_LIMIT_PER_MINUTE: '1000000000',
    AIRELAYS_RATE_LIMIT_BURST: '1000000000',
    AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1000000',
    // The default [server] max_connections (512) closes the 513th socket at once: the 2,000-stream
    // wave measures the relay, not that guard, so it is raised like the rate limits.
    AIRELAYS_MAX_CONNECTIONS: '100000',
  }
  return { dir, dataDir, token, env, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Whether the built CLI can be used: its bin exists and `airelays --version` exits 0. */
export function cliAvailable(root) {
  const p = paths(root)
  if (!existsSync(p.cliBin)) return false
  const res = spawnSync(process.execPath, [p.cliBin, '--version'], {
    stdio: 'ignore',
    timeout: 20_000,
    env: { ...process.env, NO_COLOR: '1' },
  })
  return res.status === 0
}

/** The pid of the process that actually serves: the deepest single descendant of `pid`, else `pid`. */
function servingPid(pid) {
  let current = pid
  for (let depth = 0; depth < 4; depth++) {
    const kids = childrenOf(current)
    if (kids.length !== 1) break
    current = kids[0]
  }
  return current
}

function childrenOf(pid) {
  const out = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid) out.push(Number(name))
    } catch {}
  }
  return out
}

/**
 * Start the relay as its own process and wait until `/healthz` answers.
 * mode 'cli': `node apps/cli/bin/airelays.mjs serve --port P`; mode 'server': bench/relay-process.mjs
 * (imports the built @airelays/server; `script` replaces it, e.g. one importing another build).
 * `nodeArgs` go before the script (e.g. --cpu-prof).
 */
export async function startRelay(root, home, { mode, nodeArgs = [], scriptArgs = [], script }) {
  const p = paths(root)
  const port = await freePort()
  const args =
    mode === 'cli'
      ? [...nodeArgs, p.cliBin, 'serve', '--port', String(port), '--host', '127.0.0.1']
      : [...nodeArgs, script ?? p.relayProcess, '--port', String(port), ...scriptArgs]
  const handle = spawnNode(args, { env: home.env, cwd: home.dir })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  let ready = false
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null || handle.child.signalCode !== null) break
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.ok) {
        ready = true
        break
      }
    } catch {}
    await sleep(50)
  }
  if (!ready) {
    await stopChild(handle, 2000)
    throw new Error(`relay (${mode}) did not become ready on ${url}:\n${handle.output()}`)
  }
  return {
    url,
    mode,
    pid: servingPid(handle.child.pid),
    launcherPid: handle.child.pid,
    output: handle.output,
    stop: async () => stopChild(handle, 15_000),
  }
}

/** VmRSS of a process in bytes (null when it is gone). */
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status)
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** Sample VmRSS of `pid` every `intervalMs` into a timeline [{t, rss}] (t = performance.now()). */
export function startRssSampler(pid, intervalMs = 50) {
  const samples = []
  const take = () => {
    const rss = rssBytes(pid)
    if (rss !== null) samples.push({ t: performance.now(), rss })
  }
  take()
  const timer = setInterval(take, intervalMs)
  return {
    samples,
    /** Largest RSS sampled in [from, to] (performance.now() times). */
    peakBetween(from, to) {
      let peak = null
      for (const s of samples) if (s.t >= from && s.t <= to && (peak === null || s.rss > peak)) peak = s.rss
      return peak
    },
    stop() {
      clearInterval(timer)
      take()
    },
  }
}

/** Run a node script to completion; resolves { code, stdout, stderr, ms }. */
export function runNode(args, { env, cwd, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const out = []
    const err = []
    child.stdout.on('data', (c) => out.push(c))
    child.stderr.on('data', (c) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - t0,
      })
    })
  })
}

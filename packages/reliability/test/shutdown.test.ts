// B11 group D — graceful shutdown of a relay in its own process (SIGTERM, second signal, restart).
// The child runs test/_child/relay-child.ts bundled with tsup (workspace sources included), so it
// is the real serveRelay with handleSignals, not an in-process stand-in.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createAuthStore,
  credentialStoreFor,
  generateRelayToken,
  writeRelayToken,
} from '@airelays/auth-store'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { build } from 'tsup'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  chatBody,
  eventually,
  frameData,
  JSON_HEADERS,
  readSse,
  relayConfig,
  sleep,
  walkFiles,
} from './_harness'

const childSource = fileURLToPath(new URL('./_child/relay-child.ts', import.meta.url))
let buildDir: string
let bundle: string

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), 'airelays-b11-child-'))
  await build({
    entry: { 'relay-child': childSource },
    outDir: buildDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    splitting: false,
    dts: false,
    sourcemap: false,
    silent: true,
    // Everything is bundled except the keychain's native module, which file storage never loads.
    noExternal: [/^(?!@napi-rs\/)/],
    external: [/^@napi-rs\//],
    esbuildOptions(options) {
      options.conditions = ['@airelays/source', 'module', 'node']
    },
    banner: {
      js: "import { createRequire as __b11CreateRequire } from 'node:module'; const require = __b11CreateRequire(import.meta.url);",
    },
  })
  bundle = join(buildDir, 'relay-child.js')
}, 120_000)

afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true })
})

interface Child {
  proc: ChildProcess
  url: string
  port: number
  token: string
  dataDir: string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

const children: Child[] = []
let emu: UpstreamEmulator | null = null
const dirs: string[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL')
    await child.exited
  }
  await emu?.close()
  emu = null
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function upstream(): Promise<UpstreamEmulator> {
  emu ??= await createUpstreamEmulator()
  return emu
}

async function prepareDataDir(e: UpstreamEmulator): Promise<{ dataDir: string; token: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'airelays-b11-d-'))
  dirs.push(dataDir)
  await credentialStoreFor(createAuthStore({ mode: 'file', dataDir })).save(e.storedAuth())
  const token = generateRelayToken()
  const config = await relayConfig(dataDir, e)
  await writeRelayToken(config.security.bearer_token_file, token)
  return { dataDir, token }
}

async function startChild(
  options: {
    graceMs?: number
    port?: number
    dataDir?: string
    token?: string
    env?: Record<string, string>
  } = {},
): Promise<Child> {
  const e = await upstream()
  const prepared =
    options.dataDir && options.token
      ? { dataDir: options.dataDir, token: options.token }
      : await prepareDataDir(e)
  const env = {
    AIRELAYS_DATA_DIR: prepared.dataDir,
    AIRELAYS_UPSTREAM_BASE_URL: e.backendUrl,
    AIRELAYS_ISSUER_BASE_URL: e.url,
    AIRELAYS_AUTH_STORAGE: 'file',
    AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.05',
    AIRELAYS_ENABLE_CLAUDE: 'false',
    AIRELAYS_RATE_LIMIT_BURST: '1000',
    ...options.env,
  }
  const args = JSON.stringify({
    env,
    dataDir: prepared.dataDir,
    port: options.port,
    graceMs: options.graceMs,
  })
  const proc = spawn(process.execPath, [bundle, args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
    },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`child did not start: ${stderr}`)), 20_000)
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n')[0] as string
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve((JSON.parse(line) as { url: string }).url)
      }
    })
    proc.once('exit', () => reject(new Error(`child exited early: ${stderr}`)))
  })
  const child: Child = {
    proc,
    url,
    port: Number(new URL(url).port),
    token: prepared.token,
    dataDir: prepared.dataDir,
    stderr: () => stderr,
    exited,
  }
  children.push(child)
  return child
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function post(child: Child, body: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${child.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, authorization: `Bearer ${child.token}` },
    body,
    ...(signal ? { signal } : {}),
  })
}

async function logLinesOf(child: Child): Promise<string[]> {
  const files = (await walkFiles(join(child.dataDir, 'logs'))).filter((f) => f.endsWith('.log'))
  const lines: string[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    expect(text.endsWith('\n'), file).toBe(true)
    lines.push(...text.split('\n').filter(Boolean))
  }
  return lines
}

describe('D — shutdown', () => {
  it('D1 SIGTERM with 10 in-flight non-stream requests: all complete, no new connections, exit 0', async () => {
    const e = await upstream()
    const child = await startChild()
    e.script(...Array.from({ length: 10 }, () => ({ kind: 'delay' as const, ms: 1200 })))
    const pending = Array.from({ length: 10 }, (_, i) =>
      post(child, chatBody(`Reply with exactly: done ${i}`)).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { choices?: { message: { content: string } }[] },
      })),
    )
    await eventually(() => e.stats().inFlight === 10, 5000, 10, '10 upstream calls in flight')
    child.proc.kill('SIGTERM')
    await sleep(150)
    expect(await canConnect(child.port)).toBe(false)
    const results = await Promise.all(pending)
    results.forEach((r, i) => {
      expect(r.status).toBe(200)
      expect(r.body.choices?.[0]?.message.content).toBe(`done ${i}`)
    })
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    for (const line of await logLinesOf(child)) JSON.parse(line)
  })

  it('D2 SIGTERM with 10 streams longer than the grace window: error event at the deadline, 10 upstream aborts, exit 0 in grace + 2 s', async () => {
    const e = await upstream()
    const graceMs = 1000
    const child = await startChild({ graceMs })
    e.script(...Array.from({ length: 10 }, () => ({ kind: 'pace' as const, events: 200, gapMs: 50 })))
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(child, chatBody('Tell me a long story.', { stream: true }))),
    )
    expect(responses.every((r) => r.status === 200)).toBe(true)
    const reading = responses.map((r) => readSse(r.body as ReadableStream<Uint8Array>))
    await sleep(300)
    const signalledAt = Date.now()
    child.proc.kill('SIGTERM')
    const results = await Promise.all(reading)
    for (const { frames } of results) {
      expect(frames.some((f) => f.text.includes('[DONE]'))).toBe(false)
      const last = frames.at(-1) as { text: string; at: number }
      const data = frameData(last.text) as { error?: { code?: string; type?: string } } | null
      expect(data?.error?.code).toBe('server_shutting_down')
      expect(last.at - signalledAt).toBeGreaterThanOrEqual(graceMs - 50)
      expect(last.at - signalledAt).toBeLessThan(graceMs + 1500)
    }
    await eventually(
      () => e.requests.filter((r) => r.route === 'responses' && r.abortedAt).length === 10,
      3000,
    )
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.at - signalledAt).toBeLessThan(graceMs + 2000)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    // B11 G6: the last line of the hour file is complete JSON.
    const lines = await logLinesOf(child)
    expect(lines.length).toBeGreaterThan(10)
    for (const line of lines) JSON.parse(line)
  })

  it('D3 a second signal forces the shutdown: streams ended at once, exit 0, no unhandled rejection', async () => {
    const e = await upstream()
    const child = await startChild({ graceMs: 30_000 })
    e.script(...Array.from({ length: 5 }, () => ({ kind: 'pace' as const, events: 400, gapMs: 50 })))
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post(child, chatBody('Tell me a long story.', { stream: true }))),
    )
    const reading = responses.map((r) => readSse(r.body as ReadableStream<Uint8Array>))
    await sleep(200)
    child.proc.kill('SIGTERM')
    await sleep(500)
    expect(child.proc.exitCode).toBeNull()
    const forcedAt = Date.now()
    child.proc.kill('SIGTERM')
    const results = await Promise.all(reading)
    for (const { frames } of results) {
      const last = frames.at(-1) as { text: string; at: number }
      expect((frameData(last.text) as { error?: { code?: string } } | null)?.error?.code).toBe(
        'server_shutting_down',
      )
      expect(last.at - forcedAt).toBeLessThan(1500)
    }
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.at - forcedAt).toBeLessThan(3000)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    await eventually(
      () => e.requests.filter((r) => r.route === 'responses' && r.abortedAt).length === 5,
      3000,
    )
  })

  it('D4 restart on the same port right after exit, with a keep-alive client still connected', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const first = await startChild({ port })
    // An idle keep-alive connection from a client that never closes it.
    const keepAlive = connect({ host: '127.0.0.1', port })
    keepAlive.on('error', () => {})
    await new Promise((resolve) => keepAlive.once('connect', resolve))
    keepAlive.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n`)
    await new Promise((resolve) => keepAlive.once('data', resolve))
    first.proc.kill('SIGTERM')
    const exit = await first.exited
    expect(exit.code).toBe(0)
    const second = await startChild({ port, dataDir: first.dataDir, token: first.token })
    expect(second.port).toBe(port)
    const health = await fetch(`${second.url}/healthz`)
    expect(health.status).toBe(200)
    keepAlive.destroy()
    second.proc.kill('SIGTERM')
    expect((await second.exited).code).toBe(0)
  })
})

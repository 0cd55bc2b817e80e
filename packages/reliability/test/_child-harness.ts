// A relay in its own process (test/_child/relay-child.ts bundled with tsup, workspace sources
// included): the real serveRelay with handleSignals, so exits, signals and crashes are observable.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createAuthStore,
  credentialStoreFor,
  generateRelayToken,
  writeRelayToken,
} from '@airelays/auth-store'
import { relayConfig, walkFiles } from '@airelays/test-utils'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { build } from 'tsup'
import { expect } from 'vitest'
import { JSON_HEADERS } from './_harness'

const childSource = fileURLToPath(new URL('./_child/relay-child.ts', import.meta.url))
let buildDir = ''
let bundle = ''

export async function buildChild(): Promise<void> {
  if (bundle) return
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
}

export async function removeChildBuild(): Promise<void> {
  if (buildDir) await rm(buildDir, { recursive: true, force: true })
  bundle = ''
}

export interface Child {
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

export async function stopChildren(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL')
    await child.exited
  }
  await emu?.close()
  emu = null
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

export async function upstream(): Promise<UpstreamEmulator> {
  emu ??= await createUpstreamEmulator()
  return emu
}

export async function prepareDataDir(e: UpstreamEmulator): Promise<{ dataDir: string; token: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'airelays-b11-d-'))
  dirs.push(dataDir)
  await credentialStoreFor(createAuthStore({ mode: 'file', dataDir })).save(e.storedAuth())
  const token = generateRelayToken()
  const config = await relayConfig(dataDir, e)
  await writeRelayToken(config.security.bearer_token_file, token)
  return { dataDir, token }
}

export async function startChild(
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

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export function post(child: Child, body: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${child.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, authorization: `Bearer ${child.token}` },
    body,
    ...(signal ? { signal } : {}),
  })
}

export async function logLinesOf(child: Child): Promise<string[]> {
  const files = (await walkFiles(join(child.dataDir, 'logs'))).filter((f) => f.endsWith('.log'))
  const lines: string[] = []
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    expect(text.endsWith('\n'), file).toBe(true)
    lines.push(...text.split('\n').filter(Boolean))
  }
  return lines
}

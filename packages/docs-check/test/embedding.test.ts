// Slow (a few minutes on 2 cores): the examples of docs/embedding.md, run from the packed packages
// in an empty npm project with h3 2.0.8 and nitro 3.0.260903-beta (the newest Nitro that runs on
// Node 20). The two h3 examples run as written; the two Nitro projects are built once each with
// `nitro build` and their built servers run. Each is then used with the openai SDK (a streamed chat
// completion), asked for a 404, and flooded with bad tokens from one client address while another
// client address must still get its own answers. The upstream is the emulator, in this process.
// Set AIRELAYS_DOCS_SKIP_SLOW=1 to skip locally; CI never sets it.
import { type ChildProcess, spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt } from '../src/build'
import { exec, packPublicPackages } from '../src/pack'
import { docsDir } from '../src/workspace'

const slow = process.env.AIRELAYS_DOCS_SKIP_SLOW === '1'
if (slow) console.warn('embedding tests skipped: AIRELAYS_DOCS_SKIP_SLOW=1')

const NITRO = 'nitro@3.0.260903-beta'
const H3 = 'h3@2.0.8'
/** Loads nitro.config.ts on Node 20 (no native TypeScript). */
const JITI = 'jiti@2.7.0'
const TOKEN = 'embedding-test-relay-token-0123456789abcdef'
const EXAMPLES = join(docsDir, 'examples/embedding')

let work: string
let project: string
let dataDir: string
let emu: UpstreamEmulator
const children: ChildProcess[] = []

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AIRELAYS?_|OPENAI_ENDPOINT_|npm_|PNPM_|VITEST|NODE_OPTIONS$|PORT$|HOST$|NITRO_)/i.test(key))
      continue
    env[key] = value
  }
  return { ...env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', ...extra }
}

/** The environment of a host server: the login and the relay token as `airelays` would leave them. */
function serverEnv(port: number): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: join(work, 'home'),
    PORT: String(port),
    HOST: '127.0.0.1',
    AIRELAYS_DATA_DIR: dataDir,
    AIRELAYS_AUTH_STORAGE: 'file',
    AIRELAYS_BEARER_TOKEN: TOKEN,
    AIRELAYS_UPSTREAM_BASE_URL: emu.backendUrl,
    AIRELAYS_ISSUER_BASE_URL: emu.url,
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Start `node <script>` in `cwd`; resolves with its base URL once it answers. */
async function startServer(script: string, cwd: string): Promise<string> {
  const port = await freePort()
  const child = spawn(process.execPath, [script], {
    cwd,
    env: serverEnv(port),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const base = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`)
    try {
      await fetch(`${base}/`, { signal: AbortSignal.timeout(1000) })
      return base
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${script} did not answer on ${base}:\n${output}`)
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP request from a chosen loopback source address (a distinct client to the relay). */
function fromAddress(
  localAddress: string,
  url: string,
  options: { method?: string; token?: string; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        localAddress,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A streamed chat completion through the openai SDK; returns the text. */
async function streamedChat(baseURL: string): Promise<string> {
  const client = new OpenAI({ baseURL, apiKey: TOKEN, maxRetries: 0 })
  const stream = await client.chat.completions.create({
    model: 'gpt-5.5',
    stream: true,
    messages: [{ role: 'user', content: 'Reply with exactly: embedded ok' }],
  })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
  return text
}

/** The relay's 404 envelope for an unknown API route. */
async function expectRelay404(url: string): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(404)
  expect(res.headers.get('x-request-id')).toMatch(/^req_/)
  const body = (await res.json()) as { error: Record<string, unknown> }
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  expect(body.error.code).toBe('not_found')
}

/**
 * Bad tokens from 127.0.0.2 until the relay blocks that address. Every loopback address is one
 * client to the limiter (so a local process cannot dodge the block by changing 127.x.y.z), so a
 * client at `other` shares the block for bad tokens, yet a loopback request with the valid token is
 * still served: one client's bad tokens never lock out the others.
 */
async function expectFloodContained(apiBase: string, other: string): Promise<void> {
  const statuses: number[] = []
  for (let i = 0; i < 9; i++)
    statuses.push((await fromAddress('127.0.0.2', `${apiBase}/models`, { token: 'wrong' })).status)
  expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401))
  expect(statuses[8]).toBe(429)
  expect((await fromAddress(other, `${apiBase}/models`, { token: 'also-wrong' })).status).toBe(429)
  const valid = await fromAddress(other, `${apiBase}/chat/completions`, {
    method: 'POST',
    token: TOKEN,
    body: JSON.stringify({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Reply with exactly: still served' }],
    }),
  })
  expect(valid.status).toBe(200)
  expect(JSON.parse(valid.body).choices[0].message.content).toBe('still served')
}

/** Every traffic-log record written so far (`<logs>/YYYY/MM/DD-HH.log`), as text. */
async function trafficLog(): Promise<string> {
  const dir = join(dataDir, 'logs')
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[])
  const texts = await Promise.all(
    names.filter((name) => name.endsWith('.log')).map((name) => readFile(join(dir, name), 'utf8')),
  )
  return texts.join('')
}

/** Build a Nitro project copied from docs/examples/embedding/<name>; returns the built entry. */
async function buildNitro(name: string): Promise<string> {
  const dir = join(project, name)
  await cp(join(EXAMPLES, name), dir, { recursive: true })
  await exec(process.execPath, [join(project, 'node_modules/nitro/dist/cli/index.mjs'), 'build'], {
    cwd: dir,
    env: cleanEnv({ HOME: join(work, 'home') }),
    timeoutMs: 600_000,
  })
  return join(dir, '.output/server/index.mjs')
}

describe.skipIf(slow)('docs/embedding.md, from the packed packages', () => {
  beforeAll(async () => {
    await ensureBuilt()
    work = await mkdtemp(join(tmpdir(), 'airelays-embedding-'))
    const tarballs = join(work, 'tarballs')
    project = join(work, 'project')
    dataDir = join(work, 'data')
    await Promise.all([mkdir(tarballs), mkdir(project), mkdir(join(work, 'home')), mkdir(dataDir)])
    const packed = (await packPublicPackages(tarballs)).filter((p) => p.pkg.name !== 'airelays')
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'host', private: true, type: 'module' })}\n`,
    )
    await exec(
      'npm',
      ['install', '--no-audit', '--no-fund', H3, NITRO, JITI, ...packed.map((p) => p.tarball)],
      {
        cwd: project,
        env: cleanEnv({ HOME: join(work, 'home') }),
        timeoutMs: 600_000,
      },
    )
    emu = await createUpstreamEmulator()
    await writeFile(join(dataDir, 'auth.json'), JSON.stringify(emu.storedAuth()), { mode: 0o600 })
  }, 1_200_000)

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await emu?.close()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('installs next to h3 2.0.8 and Nitro without a second h3', async () => {
    const list = await exec('npm', ['ls', 'h3', '--all', '--parseable'], { cwd: project, env: cleanEnv({}) })
    const copies = new Set(
      list
        .trim()
        .split('\n')
        .filter((line) => /node_modules\/h3$/.test(line)),
    )
    expect([...copies]).toEqual([join(project, 'node_modules/h3')])
  })

  it('h3 under a prefix: the relay at /ai, the host untouched', async () => {
    await cp(join(EXAMPLES, 'h3-prefix.mjs'), join(project, 'h3-prefix.mjs'))
    const base = await startServer('h3-prefix.mjs', project)
    expect(await (await fetch(`${base}/`)).json()).toEqual({ app: 'my host' })
    expect(await streamedChat(`${base}/ai/v1`)).toBe('embedded ok')
    await expectRelay404(`${base}/ai/v1/nope`)
    const hostMissing = await fetch(`${base}/nope`)
    expect(hostMissing.status).toBe(404)
    expect(hostMissing.headers.get('x-request-id')).toBeNull()
    await expectFloodContained(`${base}/ai/v1`, '127.0.0.3')
  })

  it('h3 at the root: the relay answers its own paths; the host keeps its routes, 404s, 405s and log', async () => {
    await cp(join(EXAMPLES, 'h3-root.mjs'), join(project, 'h3-root.mjs'))
    const base = await startServer('h3-root.mjs', project)
    const hello = await fetch(`${base}/hello`)
    expect(await hello.json()).toEqual({ hello: 'from the host' })
    expect(hello.headers.get('x-request-id')).toBeNull()
    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    })
    expect(await echo.json()).toEqual({ echo: { a: 1 } })
    // The host's own 404s (h3 answers a wrong method with 404 too) and errors (bad JSON → 500).
    for (const [path, method, status, body] of [
      ['/host-missing', 'GET', 404, undefined],
      ['/hello', 'POST', 404, undefined],
      ['/echo', 'POST', 500, '{not json'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method, ...(body ? { body } : {}) })
      expect(res.status, `${method} ${path}`).toBe(status)
      expect(res.headers.get('x-request-id'), `${method} ${path}`).toBeNull()
      expect(await res.text(), `${method} ${path}`).not.toContain('invalid_request_error')
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect(await streamedChat(`${base}/v1`)).toBe('embedded ok')
    await expectRelay404(`${base}/v1/nope`)
    await expectFloodContained(`${base}/v1`, '127.0.0.4')
    // The relay logged its own requests (written in batches), never the host's.
    let log = ''
    for (let i = 0; i < 50 && !log.includes('/v1/nope'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      log = await trafficLog()
    }
    expect(log).toContain('/v1/nope')
    expect(log).not.toContain('/hello')
    expect(log).not.toContain('/host-missing')
    expect(log).not.toContain('/echo')
  })

  it('Nitro, the relay as the server entry: nitro build, then the built server', async () => {
    const entry = await buildNitro('nitro-entry')
    const base = await startServer(entry, project)
    expect(((await (await fetch(`${base}/healthz`)).json()) as { app_name: string }).app_name).toBe(
      'AIRelays',
    )
    expect(await streamedChat(`${base}/v1`)).toBe('embedded ok')
    await expectRelay404(`${base}/v1/nope`)
    await expectFloodContained(`${base}/v1`, '127.0.0.5')
  }, 900_000)

  it('Nitro, the relay under /ai with withBase: nitro build, then the built server', async () => {
    const entry = await buildNitro('nitro-prefix')
    const base = await startServer(entry, project)
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'from nitro' })
    expect(await streamedChat(`${base}/ai/v1`)).toBe('embedded ok')
    await expectRelay404(`${base}/ai/v1/nope`)
    await expectFloodContained(`${base}/ai/v1`, '127.0.0.6')
  }, 900_000)
})

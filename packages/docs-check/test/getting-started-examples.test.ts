// The client examples of docs/getting-started.md are run as written — the curl command, the Node
// `openai` snippet and the Python `openai` snippet — against a real relay (port 0) in front of the
// upstream emulator. Only the base URL and the relay token are substituted.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createMemoryAuthStore, credentialStoreFor, generateRelayToken } from '@airelays/auth-store'
import { loadConfig } from '@airelays/config'
import { type RelayServer, serveRelay } from '@airelays/server'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeBlocks, sectionUnder } from '../src/markdown'
import { docsDir, repoRoot } from '../src/workspace'

const run = promisify(execFile)
const DOC_BASE_URL = 'http://127.0.0.1:8080/v1'
const venv = process.env.PYTHON_OPENAI_VENV ?? '/tmp/airelays-pyvenv'
const python = join(venv, 'bin', 'python')
const hasPython = existsSync(python)
if (!hasPython)
  console.warn(
    `[getting-started] Python example SKIPPED: no venv with the openai package at ${venv} (set PYTHON_OPENAI_VENV).`,
  )

let doc: string
let dir: string
let emulator: UpstreamEmulator
let relay: RelayServer
let token: string

/** The first code block of `lang` under the heading matching `title`, with the live URL and token. */
function example(title: RegExp, lang: string): string {
  const section = sectionUnder(doc, title)
  expect(section, `docs/getting-started.md has no section ${title}`).not.toBeNull()
  const block = codeBlocks(section ?? '').find((candidate) => candidate.lang === lang)
  expect(block, `no \`${lang}\` block under ${title}`).toBeDefined()
  const body = block?.body ?? ''
  expect(body).toContain(DOC_BASE_URL)
  return body.replaceAll(DOC_BASE_URL, `${relay.url}/v1`).replaceAll('<relay token>', token)
}

function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OPENAI_|AIRELAYS?_|HTTPS?_PROXY$|https?_proxy$)/.test(key)) env[key] = value
  }
  return { ...env, OPENAI_BASE_URL: `${relay.url}/v1`, OPENAI_API_KEY: token, NO_PROXY: '127.0.0.1' }
}

beforeAll(async () => {
  doc = await readFile(join(docsDir, 'getting-started.md'), 'utf8')
  dir = await mkdtemp(join(tmpdir(), 'airelays-docs-examples-'))
  emulator = await createUpstreamEmulator()
  const { config } = await loadConfig({
    homeDir: dir,
    cwd: dir,
    flags: { dataDir: join(dir, 'data') },
    env: { AIRELAYS_UPSTREAM_BASE_URL: emulator.backendUrl, AIRELAYS_ISSUER_BASE_URL: emulator.url },
  })
  const credentials = credentialStoreFor(createMemoryAuthStore())
  await credentials.save(emulator.storedAuth())
  token = generateRelayToken()
  relay = await serveRelay({
    config,
    credentials,
    relayToken: token,
    host: '127.0.0.1',
    port: 0,
    trafficLog: false,
  })
})

afterAll(async () => {
  await relay?.close()
  await emulator?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('docs/getting-started.md client examples', () => {
  it('the curl command gets a chat completion', async () => {
    const script = example(/^curl$/, 'sh')
    const { stdout } = await run('sh', ['-c', script], { env: clientEnv(), timeout: 30_000 })
    const body = JSON.parse(stdout) as { object: string; choices: { message: { content: string } }[] }
    expect(body.object).toBe('chat.completion')
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0)
  })

  it('the Node.js snippet streams an answer with the openai package', async () => {
    const script = example(/^Node\.js/, 'ts')
    // Run as an ES module from this package, where `openai` resolves.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(repoRoot, 'packages/docs-check'),
      env: clientEnv(),
      timeout: 30_000,
    })
    expect(stdout.trim().length).toBeGreaterThan(0)
    expect(emulator.requests.some((request) => request.path.endsWith('/responses'))).toBe(true)
  })

  it.skipIf(!hasPython)('the Python snippet gets an answer with the openai package', async () => {
    const script = example(/^Python/, 'python')
    const { stdout } = await run(python, ['-c', script], { env: clientEnv(), timeout: 60_000 })
    expect(stdout.trim().length).toBeGreaterThan(0)
  })

  it('the Responses one-liner works too', async () => {
    const section = sectionUnder(doc, /^Node\.js/) ?? ''
    const call = /`(client\.responses\.create\([^`]+\))`/.exec(section)?.[1]
    expect(call, 'the Node.js section names client.responses.create(…)').toBeDefined()
    const script = [
      "import OpenAI from 'openai'",
      `const client = new OpenAI({ baseURL: ${JSON.stringify(`${relay.url}/v1`)}, apiKey: process.env.OPENAI_API_KEY })`,
      `const response = await ${call}`,
      'console.log(response.output_text)',
    ].join('\n')
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(repoRoot, 'packages/docs-check'),
      env: clientEnv(),
      timeout: 30_000,
    })
    expect(stdout.trim().length).toBeGreaterThan(0)
  })
})

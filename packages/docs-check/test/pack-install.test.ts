// Slow (about a minute): proves every public package is publishable. The packages are built (when
// dist/ is missing or stale), packed with `pnpm pack` exactly as `pnpm publish` would, installed
// from the tarballs into an EMPTY npm project (third-party dependencies come from the registry),
// and used there the way a user would: `npx airelays --version`, `npx airelays init --json`, an ESM
// import of each library, and a relay served from the installed packages answering a chat
// completion from the installed upstream emulator.
// Set AIRELAYS_DOCS_SKIP_SLOW=1 to skip locally; CI never sets it.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt } from '../src/build'
import { exec, type PackedPackage, packPublicPackages, valueExports } from '../src/pack'
import { repoRoot } from '../src/workspace'

const slow = process.env.AIRELAYS_DOCS_SKIP_SLOW === '1'
if (slow) console.warn('pack-install tests skipped: AIRELAYS_DOCS_SKIP_SLOW=1')

let work: string
let project: string
let home: string
let packed: PackedPackage[]

/** The environment of a user's shell: none of this machine's AIRelays settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AIRELAYS?_|OPENAI_ENDPOINT_|npm_|PNPM_|VITEST|NODE_OPTIONS$)/i.test(key)) continue
    env[key] = value
  }
  return {
    ...env,
    NO_COLOR: '1',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  }
}

/** Runs `node -e <script>` as an ES module inside the installed project; returns stdout. */
function nodeEval(script: string, env: Record<string, string> = {}): Promise<string> {
  return exec(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: userEnv(env) })
}

describe.skipIf(slow)('published packages, installed from their tarballs', () => {
  beforeAll(async () => {
    await ensureBuilt()
    work = await mkdtemp(join(tmpdir(), 'airelays-pack-install-'))
    const tarballs = join(work, 'tarballs')
    project = join(work, 'project')
    home = join(work, 'home')
    await Promise.all([mkdir(tarballs), mkdir(project), mkdir(home)])
    packed = await packPublicPackages(tarballs)
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'airelays-install-check', private: true, type: 'module' }, null, 2)}\n`,
    )
    await exec('npm', ['install', '--no-audit', '--no-fund', ...packed.map((p) => p.tarball)], {
      cwd: project,
      env: userEnv(),
      timeoutMs: 480_000,
    })
  }, 900_000)

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('packs every public package with no workspace: range and with its types', async () => {
    expect(packed.map((p) => p.pkg.name)).toContain('airelays')
    for (const { pkg } of packed) {
      const installed = join(project, 'node_modules', ...pkg.name.split('/'))
      const text = await readFile(join(installed, 'package.json'), 'utf8')
      expect(text, pkg.name).not.toContain('workspace:')
      expect(text, pkg.name).not.toContain('@airelays/source')
      const manifest = JSON.parse(text) as { version: string; types?: string }
      expect(manifest.version, pkg.name).toBe(pkg.manifest.version)
      expect(manifest.types, pkg.name).toBeDefined()
      expect(existsSync(join(installed, manifest.types as string)), `${pkg.name}: ${manifest.types}`).toBe(
        true,
      )
    }
  })

  it('ships the JSON Schema that docs/configuration.md points TOML editors at', async () => {
    const path = join(project, 'node_modules/@airelays/config/schema.json')
    const schema = JSON.parse(await readFile(path, 'utf8')) as { properties?: Record<string, unknown> }
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['server', 'security', 'providers']),
    )
    const resolved = await nodeEval(
      "import { createRequire } from 'node:module'; console.log(createRequire(import.meta.url).resolve('@airelays/config/schema.json'))",
    )
    expect(resolved.trim()).toBe(path)
  })

  it('`npx airelays --version` prints the packed version', async () => {
    const cli = packed.find((p) => p.pkg.name === 'airelays')
    const out = await exec('npx', ['--no', '--', 'airelays', '--version'], {
      cwd: project,
      env: userEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') }),
    })
    expect(out.trim()).toBe(`airelays ${cli?.pkg.manifest.version}`)
  })

  it('`npx airelays init --json` writes the config and a relay token inside HOME', async () => {
    const dataDir = join(home, 'data')
    const out = await exec('npx', ['--no', '--', 'airelays', 'init', '--json'], {
      cwd: project,
      env: userEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), AIRELAYS_DATA_DIR: dataDir }),
    })
    const payload = JSON.parse(out) as {
      config_path: string
      config_created: boolean
      bearer_token_file: string
      bearer_token_created: boolean
      relay_token: string
      client: { base_url: string }
    }
    expect(payload.config_path).toBe(join(home, '.config', 'airelays', 'config.toml'))
    expect(payload.config_created).toBe(true)
    expect(payload.bearer_token_file).toBe(join(dataDir, 'relay-token'))
    expect(payload.bearer_token_created).toBe(true)
    expect(payload.relay_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(payload.client.base_url).toBe('http://127.0.0.1:8080/v1')
    expect(readFileSync(payload.bearer_token_file, 'utf8').trim()).toBe(payload.relay_token)
    expect(statSync(payload.bearer_token_file).mode & 0o777).toBe(0o600)
    expect(statSync(payload.config_path).mode & 0o777).toBe(0o600)
    // The written file carries the environment override.
    expect(readFileSync(payload.config_path, 'utf8')).toContain(`data_dir = "${dataDir}"`)
  })

  it('every library imports as ESM with every runtime export of its barrel', async () => {
    for (const { pkg } of packed) {
      const barrel = join(pkg.dir, 'src/index.ts')
      if (!existsSync(barrel)) continue
      const expected = valueExports(readFileSync(barrel, 'utf8'))
      const out = await nodeEval(
        `const m = await import(${JSON.stringify(pkg.name)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
      )
      const actual = JSON.parse(out) as string[]
      expect(actual, pkg.name).toEqual(expect.arrayContaining(expected))
      expect(expected.length, pkg.name).toBeGreaterThan(0)
    }
  })

  it('the upstream-client README tool signs in, lists models, streams, reads usage and refreshes', async () => {
    // examples/codex-tool.mjs, copied into the empty project: it imports only the installed
    // @airelays/upstream-client. The emulator approves the device code after one poll.
    const tool = join(project, 'codex-tool.mjs')
    await writeFile(tool, await readFile(join(repoRoot, 'packages/upstream-client/examples/codex-tool.mjs')))
    const emu = await createUpstreamEmulator({ deviceInterval: 1, deviceAutoApproveAfterPolls: 1 })
    const authFile = join(home, 'codex-tool', 'auth.json')
    const env = userEnv({
      HOME: home,
      CODEX_TOOL_AUTH_FILE: authFile,
      CODEX_TOOL_ISSUER_URL: emu.url,
      CODEX_TOOL_BASE_URL: emu.backendUrl,
    })
    try {
      const first = await exec(process.execPath, [tool, 'Reply with exactly: tool ok'], { cwd: project, env })
      expect(first).toContain(`Open ${emu.url}/codex/device and enter `)
      expect(first).toContain('Signed in.')
      expect(first).toMatch(/^Models: gpt-/m)
      expect(first).toMatch(/^tool ok\nTokens: \d+$/m)
      expect(first).toMatch(/^5-hour window: \d+(\.\d+)?% used$/m)
      expect(first).toContain('Token refresh (forced): refreshed')
      expect(first).toMatch(/^Access token valid until \d{4}-\d\d-\d\dT/m)
      expect(statSync(authFile).mode & 0o777).toBe(0o600)
      // The second run reuses the saved login (refreshed by the first run's refresh()).
      const second = await exec(process.execPath, [tool, 'Reply with exactly: again'], { cwd: project, env })
      expect(second).not.toContain('Open ')
      expect(second).toMatch(/^again$/m)
      expect(emu.requests.filter((r) => r.route === 'device_usercode')).toHaveLength(1)
    } finally {
      await emu.close()
    }
  })

  it('a relay served from the installed packages answers through the installed emulator', async () => {
    const script = `
      import { mkdtemp, rm } from 'node:fs/promises'
      import { tmpdir } from 'node:os'
      import { join } from 'node:path'
      import { loadConfig } from '@airelays/config'
      import { createMemoryAuthStore, credentialStoreFor, generateRelayToken } from '@airelays/auth-store'
      import { createUpstreamEmulator } from '@airelays/upstream-emulator'
      import { serveRelay } from '@airelays/server'

      const dir = await mkdtemp(join(tmpdir(), 'airelays-packed-relay-'))
      const emu = await createUpstreamEmulator()
      let relay
      try {
        const { config, errors } = await loadConfig({
          homeDir: dir, cwd: dir, flags: { dataDir: join(dir, 'data') },
          env: { AIRELAYS_UPSTREAM_BASE_URL: emu.backendUrl, AIRELAYS_ISSUER_BASE_URL: emu.url },
        })
        if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '))
        const credentials = credentialStoreFor(createMemoryAuthStore())
        await credentials.save(emu.storedAuth())
        const token = generateRelayToken()
        relay = await serveRelay({ config, credentials, relayToken: token, host: '127.0.0.1', port: 0, trafficLog: false })
        const res = await fetch(relay.url + '/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5.5', temperature: 0.2, messages: [{ role: 'user', content: 'Reply with exactly: packed ok' }] }),
          signal: AbortSignal.timeout(30000),
        })
        const body = await res.json()
        console.log(JSON.stringify({
          status: res.status,
          ignored: res.headers.get('x-airelays-ignored-parameters'),
          content: body.choices?.[0]?.message?.content ?? null,
          usage: body.usage ?? null,
        }))
      } finally {
        await relay?.close()
        await emu.close()
        await rm(dir, { recursive: true, force: true })
      }
    `
    const result = JSON.parse((await nodeEval(script)).trim().split('\n').pop() as string) as {
      status: number
      ignored: string | null
      content: string | null
      usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null
    }
    expect(result.status).toBe(200)
    expect(result.content).toBe('packed ok')
    expect(result.ignored).toBe('temperature')
    expect(result.usage?.total_tokens).toBe(
      (result.usage?.prompt_tokens ?? 0) + (result.usage?.completion_tokens ?? 0),
    )
  })
})

import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { eventually } from '@airelays/test-utils'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../src/version'
import { CliProcess, createSandbox, freePort, killAll, runCli, runJson, type Sandbox } from './_helpers'

// One user's journey against an in-test emulator, in order: init, device login, serve, status,
// models, token rotate (honoured by the running relay), doctor, logout, shutdown.
let emu: UpstreamEmulator
let box: Sandbox
let env: Record<string, string>
let serve: CliProcess | null = null
let port: number
let token: string

beforeAll(async () => {
  emu = await createUpstreamEmulator({ deviceInterval: 0.2, deviceAutoApproveAfterPolls: 2 })
  box = await createSandbox(emu)
  port = await freePort()
  env = box.env({ AIRELAYS_PORT: String(port) })
})

afterAll(async () => {
  serve?.kill('SIGKILL')
  await killAll()
  await emu.close()
  await box.cleanup()
})

async function get(path: string, bearer: string | null): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    signal: AbortSignal.timeout(10_000),
  })
}

describe.sequential('init -> login -> serve -> status -> token rotate -> doctor -> models -> logout', () => {
  it('init creates the config and the relay token', async () => {
    const { result, json } = await runJson<{ relay_token: string }>(['init', '--json'], env)
    expect(result.code).toBe(0)
    token = json.relay_token
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('login --device signs in through the emulator and stores 0600 credentials', async () => {
    const result = await runCli(['login', '--device'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^AIRelays \S+ Device Login\n/)
    expect(result.stdout).toContain(`  1. Open: ${emu.url}/codex/device\n`)
    expect(result.stdout).toMatch(/ {2}2\. Enter this code: [A-Z0-9]{4}-[A-Z0-9]{4}\n/)
    // Not a TTY: the heartbeat is a plain line with the time left.
    expect(result.stderr).toMatch(/Waiting for approval\.\.\. \(expires in \d+:\d\d, Ctrl-C to cancel\)/)
    expect(result.stdout).toContain('\nOpenAI Session\n')
    expect(result.stdout).toContain('  Authenticated:    yes\n')
    expect(result.stdout).toContain('  Email:            dev@example.com\n')
    expect(result.stdout).toContain('  Plan:             plus\n')
    expect(result.stdout).toContain('  Account ID:       acct_emulator\n')
    expect(result.stdout).toContain('  Relay token:      present\n')
    expect(result.stdout).toContain(`Next Steps\n  1. airelays serve --host 127.0.0.1 --port ${port}\n`)

    const authFile = join(box.dataDir, 'auth.json')
    expect((await stat(authFile)).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(await readFile(authFile, 'utf8')) as {
      bound_account_id: string
      tokens: Record<string, string>
    }
    expect(stored.bound_account_id).toBe('acct_emulator')
    expect(stored.tokens.refresh_token).toMatch(/^rt_/)
    const polls = emu.requests.filter((request) => request.route === 'device_token')
    expect(polls.length).toBeGreaterThanOrEqual(3)
  })

  it('serve prints the banner and answers with the relay token', async () => {
    serve = new CliProcess(['serve'], env)
    await serve.waitFor(/AIRelays is listening on (\S+) \(Ctrl-C to stop\)/)
    const banner = serve.stdout
    expect(banner).toMatch(/^AIRelays \S+ Server\n/)
    expect(banner).toContain(`  Base URL:         http://127.0.0.1:${port}/v1\n`)
    expect(banner).toContain('  Bearer auth:      required\n')
    expect(banner).toContain('  ChatGPT login:    ready\n')
    expect(banner).toContain('  OpenAI ready:     yes\n')
    expect(banner).toContain('  Claude:           not supported by this version\n')
    expect(serve.stderr).toBe('')

    expect((await get('/v1/models', null)).status).toBe(401)
    expect((await get('/v1/models', token)).status).toBe(200)
  })

  it('status reports the login as ready', async () => {
    const { result, json } = await runJson<{
      auth: Record<string, unknown>
      relay: Record<string, unknown>
      providers: { openai: { ready: boolean } }
      next_steps: string[]
      server: { running: boolean; version: string | null }
    }>(['status', '--json'], env)
    expect(result.code).toBe(0)
    expect(json.auth).toMatchObject({
      credentials_present: true,
      authenticated: true,
      account_bound: true,
      ready_for_requests: true,
      email: 'dev@example.com',
      plan_type: 'plus',
      account_id: 'acct_emulator',
      bound_account_id: 'acct_emulator',
      last_refresh: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    expect(json.relay).toMatchObject({ bearer_token_present: true, bearer_token_source: 'file', port })
    expect(json.providers.openai.ready).toBe(true)
    // The relay started above answers on the configured port: no `serve` step while it runs.
    expect(json.server).toEqual({ url: `http://127.0.0.1:${port}`, running: true, version: VERSION })
    expect(json.next_steps).toEqual([])

    const human = await runCli(['status'], env)
    expect(human.stdout).toContain('  Relay token:      present\n')
    expect(human.stdout).toContain('\nUpstream Session\n')
    expect(human.stdout).toContain('  Ready:            yes\n')
    expect(human.stdout).toContain(`  Running:          yes (AIRelays ${VERSION})\n`)
    expect(human.stdout).not.toContain('Next Steps')
    // Settings: the values start in one column, however long the keys are.
    const settings = human.stdout.split('\nSettings\n')[1]?.split('\n\n')[0]?.split('\n') ?? []
    expect(
      settings.some(
        (line) => line.startsWith(`  server.port:`) && line.endsWith(`${port} (env AIRELAYS_PORT)`),
      ),
    ).toBe(true)
    const columns = new Set(settings.map((line) => line.search(/(?<=:\s+)\S/)))
    expect(columns.size).toBe(1)
    // `airelays init` wrote the default into config.toml
    expect(human.stdout).toContain('  Client version:   0.171.0 (upstream.client_version)\n')
    expect(human.stdout).toContain('\nUsage\n')
    expect(human.stdout).toContain('  5-hour window:    12% used')
    expect(human.stdout).toContain('  Weekly window:    34% used')
  })

  it('status shows only the weekly window for a weekly-only plan', async () => {
    emu.setUsage({ weeklyOnly: true, secondaryUsedPercent: 61 })
    try {
      const { json } = await runJson<{ usage: { windows: Record<string, unknown> } }>(
        ['status', '--json'],
        env,
      )
      expect(json.usage.windows.five_hour).toBeNull()
      expect(json.usage.windows.weekly).toMatchObject({ used_percent: 61 })
      const human = await runCli(['status'], env)
      expect(human.stdout).toContain('  Weekly window:    61% used')
      expect(human.stdout).not.toContain('5-hour window')
    } finally {
      emu.setUsage({ weeklyOnly: false, secondaryUsedPercent: 34 })
    }
  })

  it('status shows the other limits, credits, spend control, reached type and banked resets', async () => {
    emu.setUsage({
      additionalRateLimits: [
        { limit_name: 'codex_other', metered_feature: 'codex_bengalfox', usedPercent: 40 },
      ],
      spendControl: { reached: true, reached_limit_type: 'workspace' },
      hasCredits: true,
      creditsBalance: '12.50',
      rateLimitReachedType: 'workspace_member_credits_depleted',
      resetCreditsAvailable: 2,
      codeReviewUsedPercent: 5,
    })
    try {
      const { json } = await runJson<{ usage: Record<string, unknown> }>(['status', '--json'], env)
      expect(json.usage).toMatchObject({
        credits: { has_credits: true, balance: '12.50' },
        rate_limit_reached_type: 'workspace_member_credits_depleted',
      })
      const human = await runCli(['status'], env)
      expect(human.stdout).toContain('  codex_other:      40% used')
      expect(human.stdout).toContain('  Code review:      5% used')
      expect(human.stdout).toContain('  Credits:          12.50\n')
      expect(human.stdout).toContain('  Spend control:    limit reached (workspace)\n')
      expect(human.stdout).toContain('  Limit reached:    workspace_member_credits_depleted\n')
      expect(human.stdout).toContain('  Banked resets:    2\n')
    } finally {
      emu.setUsage({
        additionalRateLimits: [],
        spendControl: undefined,
        hasCredits: false,
        creditsBalance: '0',
        rateLimitReachedType: null,
        resetCreditsAvailable: 0,
        codeReviewUsedPercent: null,
      })
    }
  })

  it('status and doctor show the client version and flag catalog models it cannot call', async () => {
    const current = await runJson<{ catalog: { client_version: string; models_above_client_version: [] } }>(
      ['status', '--json'],
      env,
    )
    expect(current.json.catalog).toEqual({ client_version: '0.171.0', models_above_client_version: [] })

    const old = { ...env, AIRELAYS_CLIENT_VERSION: '0.153.4' }
    const { json } = await runJson<{
      client_version: { version: string }
      catalog: { client_version: string; models_above_client_version: string[] }
      catalog_error: string | null
      next_steps: string[]
    }>(['status', '--json'], old)
    expect(json.client_version.version).toBe('0.153.4')
    expect(json.catalog_error).toBeNull()
    expect(json.catalog.client_version).toBe('0.153.4')
    expect(json.catalog.models_above_client_version).toEqual(
      expect.arrayContaining(['gpt-6-sol', 'gpt-6-luna']),
    )
    expect(json.catalog.models_above_client_version).not.toContain('gpt-6-astra')
    expect(json.next_steps[0]).toMatch(/^Unset upstream\.client_version/)
    const human = await runCli(['status'], old)
    expect(human.stdout).toContain('  Client version:   0.153.4 (upstream.client_version)\n')
    expect(human.stdout).toMatch(/Needs a newer client version \(cannot be called\): .*gpt-6-sol/)

    const doctor = await runJson<{
      checks: { name: string; status: string; data?: Record<string, unknown> }[]
    }>(['doctor', '--json', '--skip-response'], old)
    const models = doctor.json.checks.find((check) => check.name === 'openai_models')
    expect(models?.status).toBe('warn')
    expect(models?.data?.client_version).toBe('0.153.4')
    expect(models?.data?.models_above_client_version).toEqual(json.catalog.models_above_client_version)
  })

  it('models lists the relay models, grouped, and --json is the raw payload', async () => {
    const { result, json } = await runJson<{
      object: string
      data: { id: string; airelays: { provider: string } }[]
    }>(['models', '--json'], env)
    expect(result.code).toBe(0)
    expect(json.object).toBe('list')
    const ids = json.data.map((model) => model.id)
    expect(ids).toEqual(expect.arrayContaining(['gpt-5.5', 'gpt-5.4-mini', 'gpt-5.6-sol', 'gpt-5.6-terra']))
    expect(json.data.every((model) => model.airelays.provider === 'openai')).toBe(true)

    const human = await runCli(['models'], env)
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^AIRelays \S+ Models\n\nOpenAI\n/)
    expect(human.stdout).toMatch(
      /^ {2}gpt-5\.5 +reasoning: low, medium, high, xhigh +structured: json_schema$/m,
    )
    // Aligned columns: every `reasoning:` (and every `structured:`) starts in the same column.
    const lines = human.stdout.split('\n').filter((line) => line.includes('reasoning:'))
    expect(new Set(lines.map((line) => line.indexOf('reasoning:'))).size).toBe(1)
    const structured = lines.filter((line) => line.includes('structured:'))
    expect(new Set(structured.map((line) => line.indexOf('structured:'))).size).toBeLessThanOrEqual(1)
  })

  it('token rotate is honoured by the running relay without a restart', async () => {
    const { result, json } = await runJson<{ relay_token: string }>(['token', 'rotate', '--json'], env)
    expect(result.code).toBe(0)
    const fresh = json.relay_token
    expect(fresh).not.toBe(token)
    // Poll with the old token: it works until the relay sees the new file, then fails once. (Polling
    // with the new token would count failed attempts and drain the per-IP rate bucket.)
    await eventually(async () => (await get('/v1/models', token)).status === 401, 15_000, 250)
    expect((await get('/v1/models', fresh)).status).toBe(200)
    token = fresh
  })

  it('doctor passes every check against the emulator', async () => {
    emu.reset()
    const { result, json } = await runJson<{
      ok: boolean
      summary: Record<string, number>
      checks: { name: string; status: string; message: string; data?: Record<string, unknown> }[]
    }>(['doctor', '--json'], env)
    expect(result.code, result.stdout).toBe(0)
    expect(json.ok).toBe(true)
    expect(json.checks.map((check) => [check.name, check.status])).toEqual([
      ['config', 'pass'],
      ['relay_token', 'pass'],
      ['openai_auth', 'pass'],
      ['openai_models', 'pass'],
      ['openai_response', 'pass'],
      ['anthropic', 'pass'],
      ['claude', 'skip'],
    ])
    expect(json.checks[0]?.message).toBe('Configuration file found.')
    expect(json.checks[3]?.message).toMatch(
      /^Upstream \/models returned \d+ model\(s\) at client version \d+\.\d+\.\d+\.$/,
    )
    expect(json.checks[3]?.data?.selected_model).toBe('gpt-5.5')
    expect(json.checks[4]?.data).toMatchObject({ model: 'gpt-5.5', text: 'ok' })
    expect(json.summary).toEqual({ passed: 6, warnings: 0, failed: 0, skipped: 1 })
    const sent = emu.requests.find((request) => request.route === 'responses')
    expect(sent?.body).toMatchObject({
      model: 'gpt-5.5',
      instructions: 'Reply with exactly: ok.',
      store: false,
      stream: true,
      tools: [],
    })

    const skipped = await runJson<{ checks: { name: string; status: string; message: string }[] }>(
      ['doctor', '--json', '--skip-response'],
      env,
    )
    expect(skipped.json.checks[4]).toEqual({
      name: 'openai_response',
      status: 'skip',
      message: 'Skipped (--skip-response).',
    })
  })

  it('doctor fails (exit 1) when the upstream answers an error, naming the probe', async () => {
    emu.script({ kind: 'http_error', status: 500, route: 'models' })
    const { result, json } = await runJson<{
      ok: boolean
      checks: { name: string; status: string; message: string }[]
    }>(['doctor', '--json'], env)
    expect(result.code).toBe(1)
    expect(json.ok).toBe(false)
    expect(json.checks[3]).toMatchObject({ name: 'openai_models', status: 'fail' })
    expect(json.checks[3]?.message).toMatch(/^OpenAI upstream \/models probe failed: /)
    expect(json.checks[4]).toMatchObject({ name: 'openai_response', status: 'skip' })
  })

  it('logout revokes the tokens, deletes the credentials, and the relay reports the login missing', async () => {
    emu.reset()
    const { result, json } = await runJson(['logout', '--json'], env)
    expect(result.code).toBe(0)
    expect(json).toEqual({
      deleted: true,
      signed_out: ['dev@example.com'],
      remaining: [],
      revoked: true,
      revoke_error: null,
    })
    const revoke = emu.requests.find((request) => request.route === 'revoke')
    expect(revoke).toBeDefined()
    await expect(stat(join(box.dataDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' })

    const status = await runJson<{ auth: { ready_for_requests: boolean } }>(['status', '--json'], env)
    expect(status.json.auth.ready_for_requests).toBe(false)
    const models = await get('/v1/models', token)
    expect(models.status).toBe(503)
  })

  it('serve shuts down gracefully on SIGINT', async () => {
    const running = serve as CliProcess
    running.kill('SIGINT')
    const exit = await running.exited
    expect(exit.code).toBe(0)
    expect(exit.stdout).toContain('Shutting down (SIGINT)')
    expect(exit.stdout).toContain('AIRelays stopped.\n')
    serve = null
    const gone = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => 'still up',
      () => 'down',
    )
    expect(gone).toBe('down')
  })
})

describe('serve options', () => {
  let local: Sandbox
  beforeAll(async () => {
    local = await createSandbox(emu)
  })
  afterAll(async () => {
    await killAll()
    await local.cleanup()
  })

  it('--no-auth serves without a token and says so', async () => {
    const p = await freePort()
    const child = new CliProcess(['serve', '--no-auth', '--port', String(p)], local.env())
    await child.waitFor(/AIRelays is listening on/)
    expect(child.stdout).toContain('  Bearer auth:      disabled\n')
    expect(child.stdout).toContain('  Access mode:      open\n')
    expect(child.stdout).toContain('  Client key:       optional placeholder only\n')
    expect(child.stdout).toContain('  ChatGPT login:    missing\n')
    expect(child.stdout).toContain('Next Steps\n  1. airelays login --device\n')
    const health = await fetch(`http://127.0.0.1:${p}/healthz`)
    expect(health.status).toBe(200)
    child.kill('SIGTERM')
    expect((await child.exited).code).toBe(0)
  })

  it('auto_generate_bearer_token creates the missing token at start', async () => {
    const p = await freePort()
    const child = new CliProcess(
      ['serve', '--port', String(p)],
      local.env({ AIRELAYS_AUTO_GENERATE_BEARER_TOKEN: 'true' }),
    )
    await child.waitFor(/AIRelays is listening on/)
    expect(child.stdout).toContain('A new relay token was generated')
    const saved = (await readFile(join(local.dataDir, 'relay-token'), 'utf8')).trim()
    expect(saved).toMatch(/^[A-Za-z0-9_-]{43}$/)
    child.kill('SIGINT')
    expect((await child.exited).code).toBe(0)
  })

  it('refuses a weak token unless --allow-weak-token is given (issue 26)', async () => {
    const refused = await runCli(
      ['serve', '--port', String(await freePort())],
      local.env({ AIRELAYS_BEARER_TOKEN: '1234' }),
    )
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      'Error: The relay token (from AIRELAYS_BEARER_TOKEN) is weak (under 128 bits), so the relay does not start. Run `airelays token rotate` for a strong one and unset AIRELAYS_BEARER_TOKEN, or pass --allow-weak-token (allow_weak_bearer_token = true) to accept the risk.\n',
    )
  })

  it('warns about a weak token (opted in) and a non-loopback host; a foreign address fails in one line', async () => {
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine: the warnings print, then the
    // bind fails, so nothing ever listens beyond loopback.
    const result = await runCli(
      ['serve', '--allow-weak-token', '--host', '192.0.2.1', '--port', String(await freePort())],
      local.env({ AIRELAYS_BEARER_TOKEN: 'hunter2hunter2' }),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'warning: The relay token (from AIRELAYS_BEARER_TOKEN) looks weak (under 128 bits).',
    )
    expect(result.stderr).toContain(
      'warning: The relay listens on 192.0.2.1, so it is reachable from the network. Keep bearer auth on and the relay token secret.',
    )
    expect(result.stderr).toContain(
      'Error: Cannot listen on 192.0.2.1: it is not an address of this machine.',
    )
  })

  it('a port in use is a one-line error', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    const busy = typeof address === 'object' && address ? address.port : 0
    try {
      const result = await runCli(['serve', '--no-auth', '--port', String(busy)], local.env())
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `Error: Port ${busy} on 127.0.0.1 is already in use (another relay?). Stop it or choose another port with --port.\n`,
      )
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })
})

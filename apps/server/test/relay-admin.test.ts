import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig } from '@airelays/config'
import { eventually, makeTempDir, type TempDir } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

// The JSON routes behind the dashboard's Accounts, Logs and Setup pages, as a script uses them.

let h: RelayHarness | null = null
let temp: TempDir | null = null
afterEach(async () => {
  await h?.close()
  h = null
  await temp?.cleanup()
  temp = null
})

type Json = Record<string, unknown>

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json
}

function send(harness: RelayHarness, method: string, path: string, body?: unknown): Promise<Response> {
  return harness.fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
}

describe('/v1/relay/accounts', () => {
  it('adds an account with the device flow, reorders and signs one out', async () => {
    h = await startRelay({
      emulator: { deviceInterval: 0.1, deviceAutoApproveAfterPolls: null },
      relay: { accountsReloadIntervalMs: 50 },
    })
    const harness = h
    harness.emu.addAccount({ accountId: 'acct_second', email: 'second@example.com' })
    harness.emu.setLoginAccount('acct_second')

    const before = await json(await harness.fetch('/v1/relay/accounts'))
    expect((before.data as Json[]).map((a) => a.email)).toEqual(['dev@example.com'])

    const started = await send(harness, 'POST', '/v1/relay/accounts/login')
    expect(started.status).toBe(201)
    const login = await json(started)
    expect(login).toMatchObject({ object: 'relay.account_login', status: 'pending' })
    expect(String(login.verification_url)).toBe(`${harness.emu.url}/codex/device`)
    expect(typeof login.user_code).toBe('string')
    expect(harness.emu.approveDevice(String(login.user_code))).toBe(true)
    const done = await eventually(async () => {
      const state = await json(await harness.fetch(`/v1/relay/accounts/login/${login.id}`))
      return state.status === 'signed_in' ? state : null
    })
    expect(done.account).toMatchObject({ email: 'second@example.com', action: 'added' })

    const after = await json(await harness.fetch('/v1/relay/accounts'))
    const slugs = (after.data as Json[]).map((a) => String(a.slug))
    expect((after.data as Json[]).map((a) => a.email)).toEqual(['dev@example.com', 'second@example.com'])
    // the pool serves the new account without a restart
    const status = await json(await harness.fetch('/v1/relay/status'))
    expect(((status.providers as Json).openai as Json).accounts).toHaveLength(2)

    const reordered = await send(harness, 'PUT', '/v1/relay/accounts/order', { order: [slugs[1]] })
    expect(await json(reordered)).toEqual({ object: 'relay.account_order', order: [slugs[1], slugs[0]] })
    const bad = await send(harness, 'PUT', '/v1/relay/accounts/order', { order: ['nobody'] })
    expect(bad.status).toBe(400)
    expect(((await json(bad)).error as Json).param).toBe('order')

    const out = await send(harness, 'DELETE', `/v1/relay/accounts/${slugs[1]}`)
    expect(await json(out)).toMatchObject({ deleted: true, revoked: true, remaining: [slugs[0]] })
    const missing = await send(harness, 'DELETE', `/v1/relay/accounts/${slugs[1]}`)
    expect(missing.status).toBe(404)
    expect(((await json(missing)).error as Json).code).toBe('account_not_found')
  })

  it('needs the relay token and refuses a cross-site browser', async () => {
    h = await startRelay()
    for (const [method, path] of [
      ['POST', '/v1/relay/accounts/login'],
      ['PUT', '/v1/relay/accounts/order'],
      ['DELETE', '/v1/relay/accounts/dev'],
      ['PUT', '/v1/relay/logging'],
      ['POST', '/v1/relay/token/rotate'],
    ] as const) {
      expect((await h.fetch(path, { method, auth: false })).status, path).toBe(401)
      const crossSite = await h.fetch(path, { method, headers: { origin: 'https://evil.example' } })
      expect(crossSite.status, path).toBe(403)
    }
    // nothing changed
    expect(await json(await h.fetch('/v1/relay/logging'))).toMatchObject({ retention_days: 30 })
  })
})

describe('/v1/relay/logging', () => {
  it('reads and changes the retention, with the size on disk', async () => {
    h = await startRelay()
    const harness = h
    await harness.openai().chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'fill the log' }],
    })
    const first = await eventually(async () => {
      const body = await json(await harness.fetch('/v1/relay/logging'))
      return Number(body.size_bytes) > 0 ? body : null
    })
    expect(first).toMatchObject({ object: 'relay.logging', enabled: true, retention_days: 30 })
    expect(Number(first.file_count)).toBeGreaterThanOrEqual(1)

    const put = await send(harness, 'PUT', '/v1/relay/logging', { retention_days: 7 })
    expect(put.status).toBe(200)
    expect(await json(put)).toMatchObject({ retention_days: 7 })
    expect(await json(await harness.fetch('/v1/relay/logging'))).toMatchObject({ retention_days: 7 })

    for (const [body, param] of [
      [{ retention_days: -1 }, 'retention_days'],
      [{ retention_days: 1.5 }, 'retention_days'],
      [{ max_total_bytes: 'big' }, 'max_total_bytes'],
      [{ stream_lines: true }, 'stream_lines'],
    ] as const) {
      const res = await send(harness, 'PUT', '/v1/relay/logging', body)
      expect(res.status).toBe(400)
      const error = (await json(res)).error as Json
      expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type'])
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param })
    }
  })
})

describe('/v1/relay/logging with a config file', () => {
  const CONFIG = `# my relay
[logging]
# retention_days = 3   (too short)
retention_days = 30 # keep a month
stream_lines = false
`
  const reload = async (path: string) => {
    const result = await loadConfig({ flags: { config: path }, env: {}, homeDir: path, cwd: path })
    expect(result.errors).toEqual([])
    return result.config.logging
  }

  it('saves the change to config.toml in place and answers persistent: true', async () => {
    temp = await makeTempDir('airelays-logging-config-')
    const path = join(temp.dir, 'config.toml')
    await writeFile(path, CONFIG)
    h = await startRelay({ relay: { configFile: path } })
    expect(await json(await h.fetch('/v1/relay/logging'))).toMatchObject({
      persistent: true,
      config_file: path,
      persistent_reason: null,
    })
    const put = await send(h, 'PUT', '/v1/relay/logging', { retention_days: 7, max_total_bytes: 5_000_000 })
    expect(put.status).toBe(200)
    expect(await json(put)).toMatchObject({ retention_days: 7, max_total_bytes: 5_000_000, persistent: true })
    expect(await readFile(path, 'utf8')).toBe(
      CONFIG.replace('retention_days = 30 # keep', 'retention_days = 7 # keep').replace(
        'stream_lines = false\n',
        'stream_lines = false\nmax_total_bytes = 5000000\n',
      ),
    )
    expect(await reload(path)).toMatchObject({ retention_days: 7, max_total_bytes: 5_000_000 })
  })

  it('creates a missing config file', async () => {
    temp = await makeTempDir('airelays-logging-config-')
    const path = join(temp.dir, 'sub', 'config.toml')
    h = await startRelay({ relay: { configFile: path } })
    expect((await send(h, 'PUT', '/v1/relay/logging', { retention_days: 0 })).status).toBe(200)
    expect(await reload(path)).toMatchObject({ retention_days: 0 })
  })

  it('answers config_write_failed and leaves the running relay unchanged when saving fails', async () => {
    temp = await makeTempDir('airelays-logging-config-')
    await mkdir(join(temp.dir, 'd'))
    await writeFile(join(temp.dir, 'd', 'file'), 'not a directory')
    // A parent that is a file fails for root too.
    const path = join(temp.dir, 'd', 'file', 'config.toml')
    h = await startRelay({ relay: { configFile: path } })
    const res = await send(h, 'PUT', '/v1/relay/logging', { retention_days: 7 })
    expect(res.status).toBe(500)
    const error = (await json(res)).error as Json
    expect(error).toMatchObject({ type: 'server_error', code: 'config_write_failed', param: null })
    expect(String(error.message)).toContain(path)
    expect(String(error.message)).toContain('The running relay was not changed')
    expect(await json(await h.fetch('/v1/relay/logging'))).toMatchObject({ retention_days: 30 })
  })

  it('answers persistent: false with a reason when embedded without a config file', async () => {
    h = await startRelay()
    const body = await json(await send(h, 'PUT', '/v1/relay/logging', { retention_days: 2 }))
    expect(body).toMatchObject({ retention_days: 2, persistent: false, config_file: null })
    expect(String(body.persistent_reason)).toMatch(/without a config file/)
  })
})

describe('/v1/relay/token/rotate', () => {
  it('answers a new token and refuses the old one afterwards', async () => {
    h = await startRelay()
    const old = h.token
    const res = await send(h, 'POST', '/v1/relay/token/rotate')
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.token).not.toBe(old)
    const models = (key: string): Promise<Response> =>
      h?.fetch('/v1/models', { headers: { authorization: `Bearer ${key}` } }) as Promise<Response>
    expect((await models(String(body.token))).status).toBe(200)
    expect((await models(old)).status).toBe(401)
  })
})

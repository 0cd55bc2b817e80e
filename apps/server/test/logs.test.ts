import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthStore, credentialStoreFor } from '@airelays/auth-store'
import { loadConfig, type ResolvedConfig } from '@airelays/config'
import { eventually } from '@airelays/test-utils'
import { toFile } from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { serveRelay } from '../src/index'
import { type RelayHarness, type RelayHarnessOptions, startRelay } from './_setup'

let h: RelayHarness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

async function relay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  h = await startRelay({
    ...options,
    env: { AIRELAYS_RATE_LIMIT_BURST: '100000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000', ...options.env },
  })
  return h
}

const post = (
  r: RelayHarness,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> =>
  r.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [dir]
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry)
    if ((await stat(path)).isDirectory()) out.push(...(await walk(path)))
    else out.push(path)
  }
  return out
}

describe('traffic log', () => {
  it('canary sweep: no secret reaches the stored logs', async () => {
    const r = await relay()
    const client = r.openai()
    const auth = await credentialStoreFor(createAuthStore({ mode: 'file', dataDir: r.dataDir })).load()
    if (!auth) throw new Error('no stored login')
    const canaries = {
      relayToken: r.token,
      accessToken: auth.tokens.access_token,
      refreshToken: auth.tokens.refresh_token,
      idToken: auth.tokens.id_token,
      apiKey: 'CANARY-x-api-key-7f3a9c1e',
      cookie: 'CANARY-cookie-5d2b8e4f',
      fileData: 'Q0FOQVJZLWZpbGUtZGF0YS05YTFiMmMzZA',
      oauthCode: 'CANARY-oauth-code-1c9e7a2b',
      clientSecret: 'CANARY-client-secret-3e8d1f6a',
    }
    const secretHeaders = { 'x-api-key': canaries.apiKey, cookie: `session=${canaries.cookie}` }
    // the relay token, the upstream tokens and an OAuth code inside prompts and bodies
    await post(
      r,
      '/v1/chat/completions',
      {
        model: 'gpt-5.5',
        metadata: { code: canaries.oauthCode },
        messages: [
          {
            role: 'user',
            content: `my token is ${r.token}; access ${canaries.accessToken}; refresh ${canaries.refreshToken}; id ${canaries.idToken}`,
          },
        ],
      },
      secretHeaders,
    )
    await post(
      r,
      '/v1/responses',
      {
        model: 'gpt-5.5',
        stream: true,
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Read this' },
              {
                type: 'input_file',
                filename: 'secret.txt',
                file_data: `data:text/plain;base64,${canaries.fileData}`,
              },
            ],
          },
        ],
        client_secret: canaries.clientSecret,
      },
      secretHeaders,
    ).then((res) => res.text())
    // a refresh (expired access token) moves refresh/access tokens over the wire
    r.emu.script({ kind: 'expired_token' })
    await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hello' }] })
    // failed auth, query-string tokens, monitoring paths
    await r.fetch(`/v1/models?key=${r.token}&api_key=${r.token}`, { auth: false, headers: secretHeaders })
    await r.fetch('/v1/models', { headers: { authorization: `Bearer ${canaries.apiKey}` }, auth: false })
    await client.files.create({
      file: await toFile(Buffer.from(`file with ${r.token}`), 'f.txt'),
      purpose: 'assistants',
    })

    const refreshed = await credentialStoreFor(createAuthStore({ mode: 'file', dataDir: r.dataDir })).load()
    await r.relay.close()
    const text = (await r.logLines()).join('\n')
    expect(text.length).toBeGreaterThan(0)
    const all = {
      ...canaries,
      newAccess: refreshed?.tokens.access_token ?? '',
      newRefresh: refreshed?.tokens.refresh_token ?? '',
    }
    for (const [name, value] of Object.entries(all)) {
      expect(value.length, name).toBeGreaterThan(8)
      expect(text.includes(value), `${name} leaked into the logs`).toBe(false)
    }
    expect(text).toContain('[REDACTED]')
  })

  it('a 1 MB request: read in chunks, sent upstream intact, logged cut, redacted, sized and hashed', async () => {
    // Multi-byte text (é, emoji) split across the socket's chunks, quotes and newlines to escape,
    // and the relay token quoted in the prompt.
    const r = await relay()
    const atoms = ['plain words ', 'é ', '😀', 'quote " and \\ back\n']
    let content = `token ${r.token} `
    for (let i = 0; content.length < 1_100_000; i++) content += atoms[i % atoms.length]
    const body = { model: 'gpt-5.5', messages: [{ role: 'user', content }] }
    const res = await post(r, '/v1/chat/completions', body)
    expect(res.status).toBe(200)
    const upstream = r.emu.requests.filter((q) => q.route === 'responses').at(-1)
    if (!upstream) throw new Error('the relay did not call the upstream')
    const input = (upstream.body as { input: { content: { text: string }[] }[] }).input
    expect(input.at(-1)?.content[0]?.text).toBe(content)
    await eventually(async () => (await r.logRecords()).some((record) => record.phase === 'inbound_request'))
    const line = (await r.logLines()).find((l) => l.includes('"phase":"inbound_request"')) as string
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(1024 * 1024)
    expect(line).not.toContain(r.token)
    const inbound = JSON.parse(line) as { body: { truncated: boolean; bytes: number; preview: string } }
    expect(inbound.body.truncated).toBe(true)
    const sent = Buffer.from(JSON.stringify(body))
    const digest = createHash('sha256').update(sent).digest('hex')
    expect(
      inbound.body.preview.startsWith(`{"kind":"json","bytes":${sent.length},"sha256":"${digest}"`),
    ).toBe(true)
    expect(inbound.body.preview).toContain('😀')
    expect(inbound.body.preview).toContain('[REDACTED]')
  })

  it('writes the reference phases with request ids, one JSON record per line', async () => {
    const r = await relay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100' } })
    await post(r, '/v1/chat/completions', {
      model: 'gpt-5.5',
      temperature: 1,
      messages: [{ role: 'user', content: 'line one\r\n{"phase":"forged","request_id":"x"}\u2028end' }],
    })
    r.emu.script({ kind: 'http_error', status: 500 })
    await post(r, '/v1/chat/completions', {
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'retry me' }],
    })
    r.emu.script({ kind: 'usage_limit', resetsInSeconds: 99999 })
    await post(r, '/v1/chat/completions', {
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'quota' }],
    })
    await r.fetch('/v1/models', { headers: { authorization: 'Bearer wrong-token' }, auth: false })

    await eventually(async () =>
      (await r.logRecords()).some((record) => record.phase === 'endpoint_auth_failed'),
    )
    const lines = await r.logLines()
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records.some((record) => record.phase === 'forged')).toBe(false)
    for (const record of records) {
      expect(record.logged_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(typeof record.request_id).toBe('string')
      expect(typeof record.phase).toBe('string')
    }
    const phases = new Set(records.map((record) => record.phase))
    for (const phase of [
      'endpoint_security_ready',
      'inbound_request',
      'compatibility_adaptation',
      'upstream_request',
      'upstream_response',
      'upstream_usage',
      'retry_backoff',
      'retry_skipped',
      'outbound_response',
      'outbound_usage',
      'endpoint_auth_failed',
    ]) {
      expect(phases.has(phase), phase).toBe(true)
    }
    const failed = records.find((record) => record.phase === 'endpoint_auth_failed') as Record<
      string,
      unknown
    >
    expect(failed.token_fingerprint).toMatch(/^[0-9a-f]{12}$/)
    expect((failed.headers as Record<string, string>).authorization).toBe('[REDACTED]')
    const inbound = records.find((record) => record.phase === 'inbound_request') as {
      request_id: string
      body: { kind: string; sha256: string }
    }
    expect(inbound.body.kind).toBe('json')
    expect(inbound.body.sha256).toMatch(/^[0-9a-f]{64}$/)
    const adaptation = records.find((record) => record.phase === 'compatibility_adaptation') as Record<
      string,
      unknown
    >
    expect(adaptation.ignored_parameters).toEqual(['temperature'])
    // records of one request share its id
    const id = inbound.request_id
    expect(records.filter((record) => record.request_id === id).map((record) => record.phase)).toEqual(
      expect.arrayContaining(['inbound_request', 'upstream_request', 'outbound_response']),
    )
  })

  it('never logs nor counts monitoring paths (upstream calls they make included)', async () => {
    const r = await relay()
    for (const path of [
      '/healthz',
      '/v1/relay/status',
      '/v1/subscription/status',
      '/v1/subscription/status?raw=true',
      '/v1/account/rate_limits',
      '/no-tools/v1/relay/status',
    ]) {
      expect((await r.fetch(path)).status, path).toBe(200)
    }
    // A failed token is recorded on a monitoring path too (issue 26), and only that.
    expect((await r.fetch('/v1/relay/status', { auth: false })).status).toBe(401)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const records = (await r.logRecords()).filter((record) => record.phase !== 'endpoint_security_ready')
    expect(records.map((record) => [record.phase, record.path])).toEqual([
      ['endpoint_auth_failed', '/v1/relay/status'],
    ])
    const before = (await (await r.fetch('/v1/relay/status')).json()) as { requests_total: number }
    expect(before.requests_total).toBe(0)
    await r.fetch('/v1/models', { headers: { 'x-request-id': 'counted-1' } })
    const after = (await (await r.fetch('/v1/relay/status')).json()) as { requests_total: number }
    expect(after.requests_total).toBe(1)
    await eventually(async () => (await r.logRecords()).some((record) => record.request_id === 'counted-1'))
    const upstream = (await r.logRecords()).filter((record) => record.phase === 'upstream_request')
    expect(upstream.length).toBeGreaterThan(0)
    expect(upstream.every((record) => record.request_id === 'counted-1')).toBe(true)
  })

  it('keeps files 0600 and directories 0700, and conversations.json 0600', async () => {
    const r = await relay()
    await post(r, '/v1/conversations', {})
    await r.fetch('/v1/models')
    await eventually(async () => (await r.logLines()).length > 2)
    for (const path of await walk(r.config.paths.logs_dir)) {
      const mode = (await stat(path)).mode & 0o777
      expect(mode, path).toBe((await stat(path)).isDirectory() ? 0o700 : 0o600)
    }
    expect((await stat(join(r.dataDir, 'conversations.json'))).mode & 0o777).toBe(0o600)
  })

  it('logs stream lines only when logging.stream_lines is on', async () => {
    const off = await relay()
    await (
      await post(off, '/v1/chat/completions', {
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      })
    ).text()
    await eventually(async () =>
      (await off.logRecords()).some((record) => record.phase === 'outbound_response'),
    )
    expect((await off.logRecords()).some((record) => record.phase === 'upstream_stream_line')).toBe(false)
    await off.close()
    h = null

    const on = await relay({ env: { AIRELAYS_LOG_STREAM_LINES: 'true' } })
    await (
      await post(on, '/v1/chat/completions', {
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      })
    ).text()
    await eventually(async () =>
      (await on.logRecords()).some((record) => record.phase === 'upstream_stream_line'),
    )
  })

  it('a failing log disk never breaks requests and is reported at most once a minute', async () => {
    const r = await relay({ login: true })
    await r.relay.close()
    const blocker = join(r.dataDir, 'not-a-dir')
    await writeFile(blocker, 'x')
    const messages: string[] = []
    const { serveRelay } = await import('../src/index')
    const broken = await serveRelay({
      config: { ...r.config, paths: { ...r.config.paths, logs_dir: join(blocker, 'logs') } },
      host: '127.0.0.1',
      port: 0,
      logger: { warn: (m) => messages.push(m), error: (m) => messages.push(m) },
    })
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${broken.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-5.5',
            messages: [{ role: 'user', content: 'Reply with exactly: ok' }],
          }),
        })
        expect(res.status).toBe(200)
      }
      await eventually(() => messages.length > 0)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(messages).toHaveLength(1)
      expect(messages[0]).toContain('could not write its traffic log')
    } finally {
      await broken.close()
    }
  })
})

describe('traffic log retention', () => {
  const DAY = 24 * 3_600_000
  const NOW = Date.UTC(2026, 5, 15, 12, 30) // 2026-06-15T12:30Z
  let dataDir = ''
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
    dataDir = ''
  })

  async function setup(): Promise<string> {
    dataDir = await mkdtemp(join(tmpdir(), 'airelays-retention-'))
    return join(dataDir, 'logs')
  }

  async function configFor(retentionDays: number): Promise<ResolvedConfig> {
    const { config, errors } = await loadConfig({
      env: {
        AIRELAYS_DATA_DIR: dataDir,
        AIRELAYS_AUTH_STORAGE: 'file',
        AIRELAYS_ENABLE_CLAUDE: 'false',
        AIRELAYS_LOG_RETENTION_DAYS: String(retentionDays),
      },
      homeDir: dataDir,
      cwd: dataDir,
    })
    expect(errors).toEqual([])
    return config
  }

  /** Start a relay at `now`, let its startup sweep finish (close waits for it), return what it reported. */
  async function runRelayAt(
    now: number,
    retentionDays: number,
  ): Promise<{ warn: string[]; error: string[] }> {
    const messages = { warn: [] as string[], error: [] as string[] }
    const relay = await serveRelay({
      config: await configFor(retentionDays),
      host: '127.0.0.1',
      port: 0,
      clock: () => now,
      logger: { warn: (m) => messages.warn.push(m), error: (m) => messages.error.push(m) },
    })
    await relay.close()
    return messages
  }

  /** Create `<logs>/YYYY/MM/DD-HH.log` for the UTC hour of `at`. */
  async function hourFile(logs: string, at: number, text = '{"phase":"python"}\n'): Promise<string> {
    const d = new Date(at)
    const p = (n: number): string => String(n).padStart(2, '0')
    const dir = join(logs, String(d.getUTCFullYear()), p(d.getUTCMonth() + 1))
    await mkdir(dir, { recursive: true })
    const path = join(dir, `${p(d.getUTCDate())}-${p(d.getUTCHours())}.log`)
    await writeFile(path, text)
    return path
  }

  const exists = (path: string): Promise<boolean> =>
    stat(path).then(
      () => true,
      () => false,
    )

  async function records(logs: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = []
    for (const path of await walk(logs)) {
      if (!path.endsWith('.log')) continue
      for (const line of (await readFile(path, 'utf8')).split('\n')) {
        if (line.startsWith('{"logged_at"')) out.push(JSON.parse(line) as Record<string, unknown>)
      }
    }
    return out
  }

  it('keeps log files that were already older than the retention when it first applied (a migrating user), and says so once', async () => {
    const logs = await setup()
    const veryOld = await hourFile(logs, NOW - 200 * DAY) // months of Python logs
    const old = await hourFile(logs, NOW - 45 * DAY)
    const recent = await hourFile(logs, NOW - 5 * DAY)

    const first = await runRelayAt(NOW, 30)
    expect(await exists(veryOld)).toBe(true)
    expect(await exists(old)).toBe(true)
    expect(await exists(recent)).toBe(true)
    expect(first.error).toEqual([])
    expect(first.warn).toHaveLength(1)
    expect(first.warn[0]).toContain(`AIRelays kept 2 traffic log file(s) in ${logs}`)
    expect(first.warn[0]).toContain('older than logging.retention_days (30 days)')
    expect(first.warn[0]).toContain('Delete them by hand if you no longer need them, or keep them.')
    expect(first.warn[0]).toContain('The 1 log file(s) already there from the last 30 days')

    const marker = join(logs, '.airelays-retention')
    expect(JSON.parse(await readFile(marker, 'utf8'))).toEqual({
      started_at: new Date(NOW).toISOString(),
      retention_days: 30,
    })
    expect((await stat(marker)).mode & 0o777).toBe(0o600)
    const notice = (await records(logs)).find((record) => record.phase === 'log_retention_kept')
    expect(notice).toMatchObject({
      request_id: 'startup',
      logs_dir: logs,
      kept_files: 2,
      expiring_files: 1,
      retention_days: 30,
      retention_started_at: new Date(NOW).toISOString(),
      kept_before: new Date(NOW - 30 * DAY).toISOString(),
    })

    // 40 days later: what the policy has been in force for goes (the 5-day-old file, now 45 days
    // old, and the relay's own log of the first start); the files kept at first stay, no new notice.
    const second = await runRelayAt(NOW + 40 * DAY, 30)
    expect(await exists(veryOld)).toBe(true)
    expect(await exists(old)).toBe(true)
    expect(await exists(recent)).toBe(false)
    expect(second).toEqual({ warn: [], error: [] })
    expect((await records(logs)).filter((record) => record.phase === 'log_retention_kept')).toHaveLength(0)

    // A longer retention later does not make the kept files deletable either.
    await runRelayAt(NOW + 100 * DAY, 90)
    expect(await exists(veryOld)).toBe(true)
    expect(await exists(old)).toBe(true)
  })

  it('deletes hour files older than retention_days that were written since retention applied', async () => {
    const logs = await setup()
    await mkdir(logs, { recursive: true })
    await writeFile(
      join(logs, '.airelays-retention'),
      JSON.stringify({ started_at: new Date(NOW - 60 * DAY).toISOString(), retention_days: 7 }),
    )
    const beforeRetention = await hourFile(logs, NOW - 68 * DAY)
    const expired = await hourFile(logs, NOW - 30 * DAY)
    const expiredToo = await hourFile(logs, NOW - 66 * DAY)
    const fresh = await hourFile(logs, NOW - 6 * DAY)
    const notALog = join(logs, '2026', '01', 'notes.txt')
    await mkdir(join(logs, '2026', '01'), { recursive: true })
    await writeFile(notALog, 'mine')

    const messages = await runRelayAt(NOW, 7)
    expect(await exists(expired)).toBe(false)
    expect(await exists(expiredToo)).toBe(false)
    expect(await exists(beforeRetention)).toBe(true)
    expect(await exists(fresh)).toBe(true)
    expect(await exists(notALog)).toBe(true)
    expect(messages).toEqual({ warn: [], error: [] })
  })

  it('retention_days = 0 keeps everything and writes no marker', async () => {
    const logs = await setup()
    const old = await hourFile(logs, NOW - 400 * DAY)
    const messages = await runRelayAt(NOW, 0)
    expect(await exists(old)).toBe(true)
    expect(await exists(join(logs, '.airelays-retention'))).toBe(false)
    expect(messages).toEqual({ warn: [], error: [] })
  })

  it('a first sweep in an empty logs dir writes the marker and says nothing', async () => {
    const logs = await setup()
    const messages = await runRelayAt(NOW, 30)
    expect(await exists(join(logs, '.airelays-retention'))).toBe(true)
    expect(messages).toEqual({ warn: [], error: [] })
  })

  it('deletes nothing and reports it when the marker cannot be understood', async () => {
    const logs = await setup()
    await mkdir(logs, { recursive: true })
    await writeFile(join(logs, '.airelays-retention'), 'yesterday')
    const old = await hourFile(logs, NOW - 90 * DAY)
    const messages = await runRelayAt(NOW, 30)
    expect(await exists(old)).toBe(true)
    expect(messages.warn).toEqual([])
    expect(messages.error).toHaveLength(1)
    expect(messages.error[0]).toContain(`AIRelays cannot understand ${join(logs, '.airelays-retention')}`)
    expect(messages.error[0]).toContain('no traffic log file is deleted')
  })
})

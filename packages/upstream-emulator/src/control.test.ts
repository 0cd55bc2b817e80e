import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { codexBody, decodeJwtPayload, type Loose, parseSse, postResponses } from './_test-helpers'
import { schemaInstance } from './backend/replies'
import { runCli } from './cli'
import type { RecordedRequest, UpstreamEmulator } from './index'
import { createUpstreamEmulator, isUpstreamEmulatorError, type UpstreamEmulatorError } from './index'

let emu: UpstreamEmulator | undefined
afterEach(async () => {
  await emu?.close()
  emu = undefined
})

const post = (url: string, body?: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

describe('control API', () => {
  it('scripts behaviours, mints tokens, lists requests, reports stats and resets', async () => {
    emu = await createUpstreamEmulator()
    const e = emu
    const queued = await post(`${e.url}/__emulator/script`, [
      { kind: 'failed_event' },
      { kind: 'usage_limit' },
    ])
    expect(await queued.json()).toEqual({ queued: 2, pending: 2 })

    const tokensRes = await post(`${e.url}/__emulator/tokens`, { accountId: 'acct_ctl', plan: 'pro' })
    const tokens = (await tokensRes.json()) as Record<string, string>
    expect(tokens.account_id).toBe('acct_ctl')
    expect(decodeJwtPayload(tokens.access_token as string)['https://api.openai.com/auth']).toMatchObject({
      chatgpt_plan_type: 'pro',
    })
    const headers = { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': 'acct_ctl' }
    const failed = await postResponses(e, codexBody(), headers)
    expect(parseSse(await failed.text()).at(-1)?.event).toBe('response.failed')
    const limited = await postResponses(e, codexBody(), headers)
    expect(limited.status).toBe(429)
    await limited.text()

    const list = (await (await fetch(`${e.url}/__emulator/requests`)).json()) as RecordedRequest[]
    expect(list.map((r) => r.path)).toEqual(['/backend-api/codex/responses', '/backend-api/codex/responses'])
    expect(list.map((r) => r.behaviour)).toEqual(['failed_event', 'usage_limit'])
    const stats = await (await fetch(`${e.url}/__emulator/stats`)).json()
    expect(stats).toEqual({ inFlight: 0, completed: 2, aborted: 0 })

    const stored = (await (await post(`${e.url}/__emulator/stored-auth`, {})).json()) as Loose
    expect(stored.bound_account_id).toBe('acct_emulator')
    expect(Object.keys(stored.tokens).sort()).toEqual([
      'access_token',
      'account_id',
      'id_token',
      'refresh_token',
    ])

    expect((await post(`${e.url}/__emulator/reset`)).status).toBe(200)
    expect(e.requests).toEqual([])
    expect(e.stats()).toEqual({ inFlight: 0, completed: 0, aborted: 0 })
    // tokens survive a reset
    const after = await postResponses(e, codexBody(), headers)
    expect(after.status).toBe(200)
    await after.text()
  })

  it('rejects invalid behaviours with a 400 error envelope and keeps the queue unchanged', async () => {
    emu = await createUpstreamEmulator()
    const e = emu
    const res = await post(`${e.url}/__emulator/script`, [
      { kind: 'failed_event' },
      { kind: 'stall', afterEvents: 1 },
    ])
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      param: null,
      code: 'emulator_bad_request',
    })
    expect(body.error.message).toMatch(/Behaviour #2: "ms"/)
    const events = parseSse(await (await postResponses(e, codexBody())).text())
    expect(events.at(-1)?.event).toBe('response.completed')
    const notJson = await fetch(`${e.url}/__emulator/script`, { method: 'POST', body: '{oops' })
    expect(notJson.status).toBe(400)
    expect((await fetch(`${e.url}/__emulator/nope`)).status).toBe(404)
  })

  it('approves device codes and changes usage over HTTP', async () => {
    emu = await createUpstreamEmulator({ deviceAutoApproveAfterPolls: null })
    const e = emu
    expect((await post(`${e.url}/__emulator/approve-device`, {})).status).toBe(404)
    const code = (await (
      await post(`${e.url}/api/accounts/deviceauth/usercode`, { client_id: e.clientId })
    ).json()) as { device_auth_id: string; user_code: string }
    const approve = await post(`${e.url}/__emulator/approve-device`, { user_code: code.user_code })
    expect(await approve.json()).toEqual({ approved: true })
    const poll = await post(`${e.url}/api/accounts/deviceauth/token`, code)
    expect(poll.status).toBe(200)
    expect((await post(`${e.url}/__emulator/usage`, { secondaryUsedPercent: 99 })).status).toBe(200)
    const t = e.issueTokens()
    const usage = await fetch(`${e.url}/backend-api/codex/usage`, {
      headers: { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id },
    })
    expect(usage.headers.get('x-codex-secondary-used-percent')).toBe('99')
  })

  it('does not record control-API calls', async () => {
    emu = await createUpstreamEmulator()
    const e = emu
    await fetch(`${e.url}/__emulator/stats`)
    expect(e.requests).toHaveLength(0)
  })
})

describe('JavaScript API', () => {
  it('url and backendUrl point at the listening server; storedAuth is ready to save', async () => {
    emu = await createUpstreamEmulator({
      accountId: 'acct_x',
      email: 'x@example.com',
      plan: 'team',
    })
    const e = emu
    expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(e.backendUrl).toBe(`${e.url}/backend-api/codex`)
    const auth = e.storedAuth()
    expect(auth.bound_account_id).toBe('acct_x')
    expect(auth.tokens.account_id).toBe('acct_x')
    expect(Date.now() - Date.parse(auth.last_refresh as string)).toBeLessThan(60_000)
    expect(auth.last_refresh).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(decodeJwtPayload(auth.tokens.id_token).email).toBe('x@example.com')
    const custom = e.storedAuth({ accountId: 'acct_y' })
    expect(custom.bound_account_id).toBe('acct_y')
  })

  it('waitFor resolves on past and future requests and rejects on timeout', async () => {
    emu = await createUpstreamEmulator()
    const e = emu
    const later = e.waitFor((r) => r.path === '/backend-api/codex/models')
    await fetch(`${e.backendUrl}/models`)
    expect((await later).status).toBe(401)
    const past = await e.waitFor((r) => r.path === '/backend-api/codex/models')
    expect(past.id).toBe(1)
    await expect(
      e.waitFor(() => {
        throw new Error('predicate failed')
      }),
    ).rejects.toThrow('predicate failed')
    const error = await e.waitFor(() => false, 30).catch((err: unknown) => err)
    expect(isUpstreamEmulatorError(error)).toBe(true)
    expect((error as UpstreamEmulatorError).code).toBe('emulator_wait_timeout')
  })

  it('close() rejects pending waiters, ends open streams and is idempotent', async () => {
    const e = await createUpstreamEmulator({ gapMs: 1000, events: 50 })
    const pending = e.waitFor(() => false, 10_000).catch((err: unknown) => err)
    const res = await postResponses(e, codexBody())
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await Promise.all([e.close(), e.close()])
    expect(((await pending) as UpstreamEmulatorError).code).toBe('emulator_closed')
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return
      })(),
    ).rejects.toThrow()
    await expect(fetch(`${e.url}/__emulator/stats`)).rejects.toThrow()
  })

  it('validates options with emulator_invalid_option', async () => {
    const bad = [
      { port: -1 },
      { events: 0 },
      { gapMs: -5 },
      { deviceInterval: 'soon' },
      { models: [] },
      { host: '' },
    ]
    for (const options of bad) {
      const error = await createUpstreamEmulator(options as never).catch((err: unknown) => err)
      expect(isUpstreamEmulatorError(error)).toBe(true)
      expect((error as UpstreamEmulatorError).code).toBe('emulator_invalid_option')
    }
    expect(isUpstreamEmulatorError(new Error('x'))).toBe(false)
  })

  it('reports a busy port as emulator_listen_failed', async () => {
    emu = await createUpstreamEmulator()
    const first = emu
    const port = Number(new URL(first.url).port)
    const error = await createUpstreamEmulator({ port }).catch((err: unknown) => err)
    expect((error as UpstreamEmulatorError).code).toBe('emulator_listen_failed')
  })

  it('keeps at most maxRecordedRequests records', async () => {
    emu = await createUpstreamEmulator({ maxRecordedRequests: 10 })
    const e = emu
    for (let i = 0; i < 25; i++) await (await fetch(`${e.url}/nope?i=${i}`)).text()
    expect(e.requests.length).toBeLessThanOrEqual(11)
    expect(e.requests.at(-1)?.query.i).toBe('24')
  })
})

describe('schemaInstance', () => {
  it('covers refs, unions, bounds and formats deterministically', () => {
    const schema = {
      definitions: { point: { type: 'object', properties: { x: { type: 'number', maximum: 0 } } } },
      type: 'object',
      properties: {
        p: { $ref: '#/definitions/point' },
        n: { type: ['null', 'integer'], multipleOf: 5 },
        s: { type: 'string', maxLength: 3 },
        mail: { type: 'string', format: 'email' },
        all: {
          allOf: [
            { type: 'object', properties: { a: { const: 1 } } },
            { properties: { b: { type: 'null' } } },
          ],
        },
        tuple: { type: 'array', prefixItems: [{ type: 'boolean' }, { type: 'string' }], minItems: 2 },
        d: { type: 'string', default: 'dflt' },
      },
    }
    expect(schemaInstance(schema, schema)).toEqual({
      p: { x: 0 },
      n: 5,
      s: 'exa',
      mail: 'user@example.com',
      all: { a: 1, b: null },
      tuple: [true, 'example'],
      d: 'dflt',
    })
  })
})

describe('airelays-upstream-emulator CLI', () => {
  it('prints the URL, serves until a signal, then closes', async () => {
    const lines: string[] = []
    const signals = new EventEmitter()
    const done = runCli(['--events', '3', '--gap-ms', '0'], {
      stdout: (l) => lines.push(l),
      stderr: (l) => lines.push(l),
      signals,
    })
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5))
    const url = lines[0] as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const tokens = (await (await post(`${url}/__emulator/tokens`, {})).json()) as Record<string, string>
    const res = await fetch(`${url}/backend-api/codex/responses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'chatgpt-account-id': tokens.account_id as string,
        'content-type': 'application/json',
      },
      body: JSON.stringify(codexBody()),
    })
    const events = parseSse(await res.text())
    expect(events.filter((x) => x.event === 'response.output_text.delta')).toHaveLength(3)
    signals.emit('SIGTERM')
    expect(await done).toBe(0)
    await expect(fetch(`${url}/__emulator/stats`)).rejects.toThrow()
  })

  it('prints JSON with --json, and exits 2 on usage errors', async () => {
    const lines: string[] = []
    const signals = new EventEmitter()
    const done = runCli(['--json', '--host', '127.0.0.1'], {
      stdout: (l) => lines.push(l),
      stderr: () => {},
      signals,
    })
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5))
    const printed = JSON.parse(lines[0] as string) as { url: string; backendUrl: string }
    expect(printed.backendUrl).toBe(`${printed.url}/backend-api/codex`)
    signals.emit('SIGINT')
    expect(await done).toBe(0)

    const errors: string[] = []
    const io = { stdout: () => {}, stderr: (l: string) => errors.push(l) }
    expect(await runCli(['--port', 'abc'], io)).toBe(2)
    expect(await runCli(['--bogus'], io)).toBe(2)
    expect(errors.join('\n')).toContain('Usage: airelays-upstream-emulator')
    const help: string[] = []
    expect(await runCli(['--help'], { stdout: (l) => help.push(l), stderr: () => {} })).toBe(0)
    expect(help[0]).toContain('--gap-ms')
  })
})

const builtCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const bin = fileURLToPath(new URL('../bin/upstream-emulator.mjs', import.meta.url))

describe('built bin', () => {
  it.skipIf(!existsSync(builtCli))('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, '--events', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('\n')) resolve(out.split('\n')[0] as string)
        })
        child.once('exit', (code) => reject(new Error(`bin exited early with ${code}`)))
      })
      expect(firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const stats = await (await fetch(`${firstLine}/__emulator/stats`)).json()
      expect(stats).toMatchObject({ inFlight: 0, completed: 0, aborted: 0 })
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})

// B11 group G — the traffic log: nothing lost, nothing leaked.
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { closeAll, eventually, fakeClock, readSse, sleep } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, JSON_HEADERS, type RelayHarness, startRelay } from './_harness'
import { frameRequest, rawRequest } from './_raw-http'

afterEach(closeAll)

const canary = (label: string): string => `${label}-canary-${randomBytes(12).toString('hex')}`

interface StoredTokens {
  access_token: string
  refresh_token: string
  id_token: string
}

async function upstreamTokens(h: RelayHarness): Promise<StoredTokens> {
  return (JSON.parse(await readFile(join(h.dataDir, 'auth.json'), 'utf8')) as { tokens: StoredTokens }).tokens
}

/** Wait until the log stops growing (the writer is asynchronous). */
async function settledLog(h: RelayHarness): Promise<string[]> {
  let previous = -1
  for (let i = 0; i < 100; i++) {
    const lines = await h.logLines()
    if (lines.length === previous) return lines
    previous = lines.length
    await sleep(100)
  }
  return h.logLines()
}

describe('G — logs', () => {
  it('G1 canary sweep: no secret reaches the stored logs (fingerprints only)', async () => {
    const h = await startRelay({
      env: { AIRELAYS_LOG_STREAM_LINES: 'true', AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '1000' },
    })
    const initial = await upstreamTokens(h)
    const c = {
      apiKey: canary('xapikey'),
      cookie: canary('cookie'),
      proxy: canary('proxyauth'),
      wrongBearer: canary('wrongbearer'),
      fileData: Buffer.from(`secret file ${canary('filedata')}`).toString('base64'),
      oauthCode: canary('oauthcode'),
      bodyApiKey: canary('bodyapikey'),
      queryKey: canary('querykey'),
    }
    const secretHeaders = {
      'x-api-key': c.apiKey,
      cookie: `session=${c.cookie}; other=1`,
      'proxy-authorization': `Basic ${c.proxy}`,
    }
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      h.fetch(path, {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...secretHeaders, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
    const consume = async (res: Response): Promise<number> => {
      await res.arrayBuffer()
      return res.status
    }
    // Prompts that make the emulator answer with the relay token and the upstream access token.
    expect(
      await consume(
        await post('/v1/chat/completions', JSON.parse(chatBody(`Reply with exactly: ${h.token}`))),
      ),
    ).toBe(200)
    expect(
      await consume(
        await post(
          '/v1/chat/completions',
          JSON.parse(chatBody(`Reply with exactly: ${initial.access_token}`, { stream: true })),
        ),
      ),
    ).toBe(200)
    expect(
      await consume(
        await post('/v1/responses', {
          model: 'gpt-5.5',
          input: `Reply with exactly: ${initial.refresh_token}`,
          stream: true,
        }),
      ),
    ).toBe(200)
    expect(
      await consume(
        await post('/v1/completions', {
          model: 'gpt-5.5',
          prompt: `Reply with exactly: ${initial.id_token}`,
        }),
      ),
    ).toBe(200)
    // file_data, api_key and an OAuth code inside bodies.
    expect(
      await consume(
        await post('/v1/responses', {
          model: 'gpt-5.5',
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'Summarise the file.' },
                { type: 'input_file', filename: 'notes.txt', file_data: c.fileData },
              ],
            },
          ],
          api_key: c.bodyApiKey,
          metadata: { code: c.oauthCode },
        }),
      ),
    ).toBeLessThan(500)
    expect(
      await consume(
        await post('/v1/conversations', { metadata: { code: c.oauthCode, api_key: c.bodyApiKey } }),
      ),
    ).toBe(200)
    expect(
      await consume(
        await h.fetch(`/v1/models?code=${c.oauthCode}&key=${c.queryKey}`, { headers: secretHeaders }),
      ),
    ).toBe(200)
    // Failed authentication: a wrong bearer, the relay token in the query string.
    expect(
      await consume(
        await h.fetch('/v1/models', {
          headers: { authorization: `Bearer ${c.wrongBearer}`, ...secretHeaders },
        }),
      ),
    ).toBe(401)
    expect(await consume(await h.fetch(`/v1/models?key=${h.token}`, { auth: false }))).toBe(401)
    // An upstream 401 forces a refresh: the rotated tokens are secrets too.
    h.emu.script({ kind: 'expired_token' })
    expect(await consume(await post('/v1/chat/completions', JSON.parse(chatBody('after refresh'))))).toBe(200)
    const refreshed = await upstreamTokens(h)
    expect(refreshed.refresh_token).not.toBe(initial.refresh_token)
    // An upstream error quoting the access token.
    h.emu.script({
      kind: 'http_error',
      status: 400,
      body: {
        error: {
          message: `bad ${refreshed.access_token}`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    })
    await consume(await post('/v1/chat/completions', JSON.parse(chatBody())))
    // Multipart upload whose form carries a secret-named field.
    const form = new FormData()
    form.append('purpose', 'assistants')
    form.append('api_key', c.bodyApiKey)
    form.append('file', new Blob(['plain text\n'], { type: 'text/plain' }), 'plain.txt')
    expect(
      await consume(await h.fetch('/v1/files', { method: 'POST', body: form, headers: secretHeaders })),
    ).toBe(200)

    const lines = await settledLog(h)
    expect(lines.length).toBeGreaterThan(30)
    const text = lines.join('\n')
    const secrets: Record<string, string> = {
      relay_token: h.token,
      access_token: initial.access_token,
      refresh_token: initial.refresh_token,
      id_token: initial.id_token,
      refreshed_access_token: refreshed.access_token,
      refreshed_refresh_token: refreshed.refresh_token,
      refreshed_id_token: refreshed.id_token,
      ...c,
    }
    const leaks = Object.entries(secrets).filter(([, value]) => text.includes(value))
    expect(leaks.map(([name]) => name)).toEqual([])
    // The failed attempt is still traceable by fingerprint.
    const fingerprint = createHash('sha256').update(c.wrongBearer).digest('hex').slice(0, 12)
    expect(text).toContain(fingerprint)
  })

  it('G2 CR/LF and control characters cannot forge or split records', async () => {
    const h = await startRelay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '1000' } })
    const forged = '\r\n{"logged_at":"2026-01-01T00:00:00Z","request_id":"forged","phase":"forged"}\n'
    const nasty = `a${forged}\u2028\u2029\u0000\u001b[31mred\u0007\u0085z`
    const ids: string[] = []
    const send = async (id: string, init: RequestInit, path = '/v1/chat/completions') => {
      ids.push(id)
      const headers = new Headers(init.headers)
      headers.set('x-request-id', id)
      const res = await h.fetch(path, { ...init, headers })
      await res.arrayBuffer()
    }
    await send('g2-json', { method: 'POST', headers: JSON_HEADERS, body: chatBody(nasty, { user: nasty }) })
    await send(
      'g2-text',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: nasty },
      '/v1/embeddings',
    )
    await send('g2-badjson', { method: 'POST', headers: JSON_HEADERS, body: `{"model": "${forged}` })
    await send('g2-path', { method: 'GET' }, `/v1/models/${encodeURIComponent(forged)}`)
    await send('g2-query', { method: 'GET' }, `/v1/models?q=${encodeURIComponent(nasty)}`)
    await send('g2-header', { method: 'GET', headers: { 'x-note': '"}\\n{"phase":"forged' } }, '/v1/models')
    const form = new FormData()
    form.append('file', new Blob(['x']), 'evil\u2028\u2029"}{"phase":"forged"}\u0085.txt')
    await send('g2-upload', { method: 'POST', body: form }, '/v1/files?purpose=assistants')
    // Raw bytes: a latin-1 header value and a path with escaped CR/LF.
    ids.push('g2-raw')
    await rawRequest(
      h.url,
      frameRequest('GET', '/v1/models/%0d%0a%7B%22phase%22%3A%22forged%22%7D?x=%0a', {
        authorization: `Bearer ${h.token}`,
        'x-request-id': 'g2-raw',
        'x-latin1': '\u00ff\u00e9"}{',
      }),
    )
    const lines = await settledLog(h)
    for (const line of lines) {
      expect(line).not.toMatch(/[\u0000-\u001f\u2028\u2029]/)
      const record = JSON.parse(line) as Record<string, unknown>
      expect(typeof record.phase).toBe('string')
      expect(record.phase).not.toBe('forged')
      expect(record.request_id).not.toBe('forged')
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const id of ids) {
      expect(
        records.filter((r) => r.request_id === id && r.phase === 'inbound_request'),
        id,
      ).toHaveLength(1)
    }
    const json = records.find((r) => r.request_id === 'g2-json' && r.phase === 'inbound_request') as {
      body: { json: { messages: { content: string }[] } }
    }
    expect(json.body.json.messages[0]?.content).toBe(nasty)
  })

  it('G3 200 concurrent streams across an hour boundary: every line whole, every record in its hour file', async () => {
    const hour = 3_600_000
    const clock = fakeClock(Math.floor(Date.now() / hour) * hour - 700)
    const h = await startRelay({
      env: { AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1000', AIRELAYS_RATE_LIMIT_BURST: '1000' },
      relay: { clock: clock.now },
    })
    const n = 200
    h.emu.script(...Array.from({ length: n + 1 }, () => ({ kind: 'pace' as const, events: 12, gapMs: 60 })))
    // One reference request gives the number of records a stream writes.
    const reference = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-request-id': 'g3-ref' },
      body: chatBody('hello', { stream: true }),
    })
    await readSse(reference.body as ReadableStream<Uint8Array>)
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { ...JSON_HEADERS, 'x-request-id': `g3-${i}` },
          body: chatBody('hello', { stream: true }),
        }),
      ),
    )
    expect(responses.every((r) => r.status === 200)).toBe(true)
    clock.advance(1000)
    const bodies = await Promise.all(responses.map((r) => readSse(r.body as ReadableStream<Uint8Array>)))
    for (const { frames, error } of bodies) {
      expect(error).toBeNull()
      expect(frames.at(-1)?.text).toBe('data: [DONE]')
    }
    const files = await eventually(async () => {
      const all = await h.logFiles()
      const count = all.reduce((sum, f) => sum + f.text.split('\n').filter(Boolean).length, 0)
      const done = all
        .flatMap((f) => f.text.split('\n'))
        .filter((l) => l.includes('"outbound_response"') && l.includes('"g3-')).length
      return done === n + 1 && count > 0 ? all : null
    }, 10_000)
    await sleep(300)
    const settled = await h.logFiles()
    expect(settled.length).toBe(2)
    const byRequest = new Map<string, number>()
    for (const file of settled) {
      expect(file.text.endsWith('\n')).toBe(true)
      const name = file.path.slice(h.config.paths.logs_dir.length)
      for (const line of file.text.split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as { logged_at: string; request_id: string }
        const at = new Date(record.logged_at)
        const expected = `/${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, '0')}/${String(at.getUTCDate()).padStart(2, '0')}-${String(at.getUTCHours()).padStart(2, '0')}.log`
        expect(name).toBe(expected)
        byRequest.set(record.request_id, (byRequest.get(record.request_id) ?? 0) + 1)
      }
    }
    expect(files.length).toBeGreaterThan(0)
    const perRequest = byRequest.get('g3-ref') as number
    expect(perRequest).toBeGreaterThanOrEqual(4)
    for (let i = 0; i < n; i++) expect(byRequest.get(`g3-${i}`), `g3-${i}`).toBe(perRequest)
  })

  it('G4 monitoring paths write no log record and are not counted', async () => {
    const h = await startRelay()
    const paths = [
      '/healthz',
      '/v1/relay/status',
      '/v1/subscription/status',
      '/v1/subscription/status?raw=true',
      '/v1/account/rate_limits',
      '/no-tools/v1/relay/status',
      '/no-tools/v1/subscription/status',
      '/no-tools/v1/account/rate_limits',
      '/healthz/',
    ]
    for (const path of paths) {
      const res = await h.fetch(path)
      expect(res.status, path).toBe(200)
      await res.arrayBuffer()
    }
    // A failed token on a monitoring path is the one thing recorded (issue 26): a bounded
    // endpoint_auth_failed record, and no request record.
    expect((await h.fetch('/v1/relay/status', { auth: false })).status).toBe(401)
    await sleep(300)
    const records = (await settledLog(h)).map((l) => JSON.parse(l) as { phase: string; path?: string })
    expect(
      records.filter((r) => r.phase !== 'endpoint_security_ready').map((r) => [r.phase, r.path]),
    ).toEqual([['endpoint_auth_failed', '/v1/relay/status']])
    expect((await h.status()).requests_total).toBe(0)
  })

  it('G5 large bodies: binary summarised with bytes and sha256, JSON and text per policy, uploads never copied', async () => {
    // Bodies are kept whole up to max_request_log_bytes (H1 in hardening.test.ts covers the cut).
    const h = await startRelay({ env: { AIRELAYS_LOG_MAX_REQUEST_BYTES: String(8 * 1024 * 1024) } })
    const binary = randomBytes(1024 * 1024)
    const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')
    const send = async (id: string, path: string, init: RequestInit): Promise<void> => {
      const headers = new Headers(init.headers)
      headers.set('x-request-id', id)
      await (await h.fetch(path, { ...init, headers })).arrayBuffer()
    }
    await send('g5-bin', '/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: binary,
    })
    const big = chatBody(`Reply with exactly: ok ${'x'.repeat(2 * 1024 * 1024)}`)
    await send('g5-json', '/v1/chat/completions', { method: 'POST', headers: JSON_HEADERS, body: big })
    const text = `plain text ${'y'.repeat(100_000)}`
    await send('g5-text', '/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: text,
    })
    const form = new FormData()
    form.append('file', new Blob([binary], { type: 'application/octet-stream' }), 'blob.bin')
    await send('g5-upload', '/v1/files?purpose=assistants', { method: 'POST', body: form })
    const lines = await settledLog(h)
    const inbound = (id: string) =>
      (
        lines.map((l) => JSON.parse(l)) as {
          request_id: string
          phase: string
          body: Record<string, unknown>
        }[]
      ).find((r) => r.request_id === id && r.phase === 'inbound_request')?.body
    expect(inbound('g5-bin')).toEqual({
      kind: 'binary_summary',
      bytes: binary.length,
      sha256: sha(binary),
      note: 'Binary payload omitted by default. This is explicit, not silent truncation.',
    })
    expect(inbound('g5-json')).toMatchObject({
      kind: 'json',
      bytes: Buffer.byteLength(big),
      sha256: sha(big),
    })
    expect(inbound('g5-text')).toEqual({ kind: 'text', bytes: text.length, sha256: sha(text), text })
    expect(inbound('g5-upload')).toMatchObject({
      kind: 'multipart_upload',
      bytes: binary.length,
      sha256: sha(binary),
    })
    // The binary upload never appears in the log in any encoding.
    const all = lines.join('\n')
    expect(all).not.toContain(binary.subarray(0, 48).toString('base64'))
    expect(all).not.toContain(binary.subarray(0, 48).toString('hex'))
  })

  it('G6 shutdown in the middle of writing: the last line of the hour file is complete JSON', async () => {
    const h = await startRelay({
      env: { AIRELAYS_LOG_STREAM_LINES: 'true', AIRELAYS_RATE_LIMIT_BURST: '1000' },
    })
    const pending = Array.from({ length: 40 }, (_, i) =>
      h
        .fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { ...JSON_HEADERS, 'x-request-id': `g6-${i}` },
          body: chatBody(`Reply with exactly: ${'word '.repeat(200)}`, { stream: i % 2 === 0 }),
        })
        .then((r) => r.arrayBuffer())
        .catch(() => null),
    )
    await eventually(() => h.emu.requests.length >= 10, 5000)
    await h.relay.close()
    await Promise.all(pending)
    const files = await h.logFiles()
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) {
      expect(file.text.endsWith('\n')).toBe(true)
      for (const line of file.text.split('\n').filter(Boolean)) JSON.parse(line)
    }
  })
})

import { createAuthStore, credentialStoreFor } from '@airelays/auth-store'
import { readFrames } from '@airelays/test-utils'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay()
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

type ErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null } & Record<
    string,
    unknown
  >
}

function post(path: string, body: unknown): Promise<Response> {
  return h.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

const chat = (stream: boolean, text = 'Reply with exactly: alpha beta gamma delta epsilon') =>
  post('/v1/chat/completions', { model: 'gpt-5.5', stream, messages: [{ role: 'user', content: text }] })

const upstreamCalls = (): number => h.emu.requests.filter((r) => r.route === 'responses').length

async function expectEnvelope(res: Response, status: number): Promise<ErrorBody['error']> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(res.headers.get('x-request-id')).toMatch(/^req_/)
  const body = (await res.json()) as ErrorBody
  for (const key of ['message', 'type', 'param', 'code']) expect(body.error).toHaveProperty(key)
  return body.error
}

describe('errors before the first content event become real HTTP statuses', () => {
  it('usage limit → 429 with resets_in_seconds, resets_at and Retry-After, one upstream call', async () => {
    h.emu.script({ kind: 'usage_limit', resetsInSeconds: 1800 })
    const res = await chat(true)
    const error = await expectEnvelope(res, 429)
    expect(error.code).toBe('usage_limit_reached')
    expect(error.resets_in_seconds).toBeGreaterThan(1700)
    expect(error.resets_at).toEqual(expect.any(Number))
    expect(Number(res.headers.get('retry-after'))).toBe(error.resets_in_seconds)
    expect(upstreamCalls()).toBe(1)
  })

  it('usage limit inside the stream (before content) → 429', async () => {
    h.emu.script({ kind: 'usage_limit_in_stream', resetsInSeconds: 900 })
    const res = await chat(false)
    const error = await expectEnvelope(res, 429)
    expect(error.resets_in_seconds).toBeGreaterThan(800)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('upstream 400 invalid_request_error → 400 with the upstream message/param/code, exactly one call', async () => {
    h.emu.script({
      kind: 'http_error',
      status: 400,
      body: {
        error: {
          message: 'Input is too long for this model.',
          type: 'invalid_request_error',
          param: 'input',
          code: 'context_length_exceeded',
        },
      },
    })
    const res = await chat(true)
    const error = await expectEnvelope(res, 400)
    expect(error).toEqual({
      message: 'Input is too long for this model.',
      type: 'invalid_request_error',
      param: 'input',
      code: 'context_length_exceeded',
    })
    expect(upstreamCalls()).toBe(1)
  })

  it('an upstream message quoting the access token reaches the client scrubbed', async () => {
    const auth = await credentialStoreFor(createAuthStore({ mode: 'file', dataDir: h.dataDir })).load()
    const token = auth?.tokens.access_token ?? ''
    h.emu.script({
      kind: 'http_error',
      status: 400,
      body: {
        error: {
          message: `Token ${token} is not allowed.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_value',
        },
      },
    })
    const res = await chat(false)
    const text = await res.text()
    expect(res.status).toBe(400)
    expect(token.length).toBeGreaterThan(20)
    expect(text).not.toContain(token)
    expect(text).toContain('[REDACTED]')
  })

  it('a client-class failure event → 400, not retried', async () => {
    h.emu.script({ kind: 'failed_event', code: 'context_length_exceeded', message: 'Too long.' })
    const res = await chat(false)
    const error = await expectEnvelope(res, 400)
    expect(error.code).toBe('context_length_exceeded')
    expect(upstreamCalls()).toBe(1)
  })

  it('500 then success → 200 after exactly two upstream calls', async () => {
    h.emu.script({ kind: 'http_error', status: 500 })
    const res = await chat(false)
    expect(res.status).toBe(200)
    expect(upstreamCalls()).toBe(2)
  })

  it('persistent 5xx with an HTML body → 502 after the retries, no HTML in the message', async () => {
    const html = {
      kind: 'http_error' as const,
      status: 503,
      body: '<html><body>Bad gateway</body></html>',
      headers: { 'content-type': 'text/html' },
    }
    h.emu.script(html, html, html, html)
    const res = await chat(true)
    const error = await expectEnvelope(res, 502)
    expect(error.type).toBe('upstream_error')
    expect(error.message).not.toContain('<')
    expect(upstreamCalls()).toBe(4)
  })

  it('socket destroyed before any byte → retried; exhausted → 502 upstream_unavailable', async () => {
    h.emu.script({ kind: 'destroy' }, { kind: 'destroy' }, { kind: 'destroy' }, { kind: 'destroy' })
    const error = await expectEnvelope(await chat(false), 502)
    expect(error.code).toBe('upstream_unavailable')
    expect(upstreamCalls()).toBe(4)
  })

  it('a stream cut before content is retried transparently', async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 1 })
    const res = await chat(true)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('data: [DONE]')
    expect(upstreamCalls()).toBe(2)
  })

  it('an expired access token is refreshed once and the call retried', async () => {
    h.emu.script({ kind: 'expired_token' })
    const res = await chat(false)
    expect(res.status).toBe(200)
    expect(h.emu.requests.filter((r) => r.route === 'token')).toHaveLength(1)
    expect(upstreamCalls()).toBe(2)
  })

  it('slow headers (delay) still succeed', async () => {
    h.emu.script({ kind: 'delay', ms: 300 })
    expect((await chat(false)).status).toBe(200)
  })

  it('no content-type on the stream still parses', async () => {
    h.emu.script({ kind: 'no_content_type' })
    const res = await chat(false)
    expect(res.status).toBe(200)
  })
})

describe('upstream timeout', () => {
  it('no response headers within request_timeout_seconds → 504 upstream_timeout after the retries', async () => {
    const slow = await startRelay({
      env: { AIRELAYS_REQUEST_TIMEOUT_SECONDS: '0.3', AIRELAYS_OPENAI_RETRY_ATTEMPTS: '1' },
    })
    try {
      const delay = { kind: 'delay' as const, ms: 3000 }
      slow.emu.script(delay, delay)
      const res = await slow.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }),
      })
      const error = await expectEnvelope(res, 504)
      expect(error).toMatchObject({ type: 'upstream_error', code: 'upstream_timeout' })
      expect(slow.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(2)
    } finally {
      await slow.close()
    }
  })
})

describe('failures after the first content event are in-band', () => {
  it('chat: a cut stream ends with a data error frame and no [DONE], no retry', async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 7 })
    const res = await chat(true)
    expect(res.status).toBe(200)
    const frames = await readFrames(res)
    const last = frames[frames.length - 1] ?? ''
    expect(frames.join('\n')).not.toContain('[DONE]')
    expect(last.startsWith('data: ')).toBe(true)
    const payload = JSON.parse(last.slice(6)) as ErrorBody
    expect(payload.error.code).toBe('incomplete_stream')
    expect(upstreamCalls()).toBe(1)
  })

  it('chat: an early clean end is reported as incomplete_stream', async () => {
    h.emu.script({ kind: 'end_early', afterEvents: 7 })
    const frames = await readFrames(await chat(true))
    expect(frames.join('\n')).not.toContain('[DONE]')
    expect(frames[frames.length - 1]).toContain('incomplete_stream')
  })

  it('a failure event before content on every attempt → 502 with the upstream code', async () => {
    h.emu.script(
      { kind: 'overload_in_stream' },
      { kind: 'overload_in_stream' },
      { kind: 'overload_in_stream' },
      { kind: 'overload_in_stream' },
    )
    const res = await chat(true)
    const error = await expectEnvelope(res, 502)
    expect(error.code).toBe('server_is_overloaded')
  })

  it('responses: every upstream event is re-emitted verbatim, then an error event on a cut', async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 7 })
    const res = await post('/v1/responses', {
      model: 'gpt-5.5',
      stream: true,
      input: 'Reply with exactly: one two three four five six seven eight',
    })
    expect(res.status).toBe(200)
    const frames = await readFrames(res)
    expect(frames[0]).toMatch(/^event: response\.created\ndata: \{/)
    const last = frames[frames.length - 1] ?? ''
    expect(last).toMatch(/^event: error\ndata: /)
    const data = JSON.parse(last.split('\ndata: ')[1] ?? '{}') as { type: string; error: { code: string } }
    expect(data.type).toBe('error')
    expect(data.error.code).toBe('incomplete_stream')
    expect(frames.join('\n')).not.toContain('[DONE]')
  })

  it('responses: a response.failed before content is retried, then streams normally', async () => {
    h.emu.script({ kind: 'failed_event', code: 'server_error', message: 'boom' })
    const res = await post('/v1/responses', { model: 'gpt-5.5', stream: true, input: 'hi' })
    expect(res.status).toBe(200)
    const frames = await readFrames(res)
    expect(frames[frames.length - 1]).toMatch(/^event: response\.completed/)
  })
})

describe('non-stream collection', () => {
  it('rebuilds output when response.completed has an empty output', async () => {
    h.emu.script({ kind: 'empty_completed_output' })
    const res = await chat(false, 'Reply with exactly: rebuilt')
    const body = (await res.json()) as { choices: { message: { content: string } }[] }
    expect(body.choices[0]?.message.content).toBe('rebuilt')
  })

  it('an incomplete response is a result with finish_reason length', async () => {
    h.emu.script({ kind: 'incomplete', reason: 'max_output_tokens' })
    const res = await chat(false)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { choices: { finish_reason: string }[] }
    expect(body.choices[0]?.finish_reason).toBe('length')
  })

  it('an incomplete stream ends with finish_reason length and [DONE]', async () => {
    h.emu.script({ kind: 'incomplete', reason: 'max_output_tokens' })
    const text = await (await chat(true)).text()
    expect(text).toContain('"finish_reason":"length"')
    expect(text).toContain('data: [DONE]')
  })
})

describe('credentials changed by another process', () => {
  it('a new login written to auth.json is used on the next call', async () => {
    await chat(false)
    const first = await h.emu.waitFor((r) => r.route === 'responses')
    const fresh = h.emu.storedAuth()
    await credentialStoreFor(createAuthStore({ mode: 'file', dataDir: h.dataDir })).save(fresh)
    await new Promise((resolve) => setTimeout(resolve, 150))
    h.emu.reset()
    expect((await chat(false)).status).toBe(200)
    const second = await h.emu.waitFor((r) => r.route === 'responses')
    expect(second.headers.authorization).toBe(`Bearer ${fresh.tokens.access_token}`)
    expect(second.headers.authorization).not.toBe(first.headers.authorization)
  })
})

describe('upstream login problems → 503 authentication_error', () => {
  it('no login → upstream_auth_missing with x-airelays-upstream-auth: missing', async () => {
    const bare = await startRelay({ login: false })
    try {
      for (const res of [
        await bare.fetch('/v1/models'),
        await bare.fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-5.5',
            stream: true,
            messages: [{ role: 'user', content: 'x' }],
          }),
        }),
      ]) {
        expect(res.status).toBe(503)
        expect(res.headers.get('x-airelays-upstream-auth')).toBe('missing')
        const body = (await res.json()) as ErrorBody
        expect(body.error).toEqual({
          message: 'No ChatGPT login found. Run `airelays login` first.',
          type: 'authentication_error',
          param: null,
          code: 'upstream_auth_missing',
        })
      }
    } finally {
      await bare.close()
    }
  })

  it('a failed token refresh → upstream_auth_refresh_failed', async () => {
    const expired = await startRelay({ login: false })
    try {
      const auth = expired.emu.storedAuth({ expiresInSeconds: -60 })
      await credentialStoreFor(createAuthStore({ mode: 'file', dataDir: expired.dataDir })).save({
        ...auth,
        last_refresh: '2020-01-01T00:00:00.000Z',
      })
      expired.emu.script({ kind: 'refresh_invalidated', route: 'token' })
      const res = await expired.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }),
      })
      expect(res.status).toBe(503)
      expect(res.headers.get('x-airelays-upstream-auth')).toBe('refresh_failed')
      const body = (await res.json()) as ErrorBody
      expect(body.error.code).toBe('upstream_auth_refresh_failed')
      expect(body.error.type).toBe('authentication_error')
      expect(body.error.message).toMatch(/^Token refresh failed/)
      expect(JSON.stringify(body)).not.toContain(auth.tokens.refresh_token)
    } finally {
      await expired.close()
    }
  })

  it('401 on models even after a refresh → upstream_auth_rejected', async () => {
    const fresh = await startRelay()
    try {
      fresh.emu.script(
        { kind: 'http_error', status: 401, route: 'models', body: { detail: 'Unauthorized' } },
        { kind: 'http_error', status: 401, route: 'models', body: { detail: 'Unauthorized' } },
      )
      const res = await fresh.fetch('/v1/models')
      expect(res.status).toBe(503)
      expect(res.headers.get('x-airelays-upstream-auth')).toBe('rejected')
      const body = (await res.json()) as ErrorBody
      expect(body.error.code).toBe('upstream_auth_rejected')
      expect(body.error.message).toBe(
        'Upstream ChatGPT login is missing or expired. Run `airelays login` first.',
      )
    } finally {
      await fresh.close()
    }
  })
})

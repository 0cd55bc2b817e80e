import { generateRelayToken, rotateRelayToken } from '@airelays/auth-store'
import { eventually } from '@airelays/test-utils'
import { describe, expect, it } from 'vitest'
import { type RelayHarness, relayPerTest } from './_setup'

const relay = relayPerTest()

interface Envelope {
  error: { message: string; type: string; param: string | null; code: string | null }
}

async function envelope(res: Response): Promise<Envelope['error']> {
  const body = (await res.json()) as Envelope
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  return body.error
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

describe('bearer token', () => {
  it('401 with WWW-Authenticate for missing, wrong, other-scheme and query-string tokens', async () => {
    const r = await relay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100' } })
    const attempts: RequestInit[] = [
      {},
      { headers: bearer('wrong') },
      { headers: bearer(`${r.token}x`) },
      { headers: bearer(r.token.slice(0, -1)) },
      { headers: { authorization: 'Bearer ' } },
      { headers: { authorization: `Basic ${Buffer.from(`u:${r.token}`).toString('base64')}` } },
      { headers: { authorization: r.token } },
    ]
    for (const init of attempts) {
      const res = await r.fetch('/v1/models', { ...init, auth: false })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(res.headers.get('x-request-id')).toMatch(/^req_/)
      const error = await envelope(res)
      expect(error).toEqual({
        message: 'Missing or invalid AIRelays bearer token.',
        type: 'authentication_error',
        param: null,
        code: 'invalid_api_key',
      })
    }
    for (const query of [`key=${r.token}`, `api_key=${r.token}`, `access_token=${r.token}`]) {
      const res = await r.fetch(`/v1/models?${query}`, { auth: false })
      expect(res.status).toBe(401)
    }
  })

  it('accepts the scheme case-insensitively and trims the value', async () => {
    const r = await relay()
    for (const header of [`bearer ${r.token}`, `BEARER ${r.token}`, `Bearer   ${r.token}  `]) {
      const res = await r.fetch('/v1/models', { headers: { authorization: header } })
      expect(res.status).toBe(200)
    }
  })

  it('honours a rotated token file without a restart', async () => {
    const r = await relay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100' } })
    expect((await r.fetch('/v1/models')).status).toBe(200)
    const rotated = await rotateRelayToken(r.config.security.bearer_token_file)
    await eventually(
      async () => {
        const res = await r.fetch('/v1/models', { headers: bearer(rotated.token) })
        return res.status === 200
      },
      4000,
      100,
    )
    const old = await r.fetch('/v1/models', { headers: bearer(r.token) })
    expect(old.status).toBe(401)
  })

  it('an env/inline token wins over the file', async () => {
    const inline = generateRelayToken()
    const r = await relay({ env: { AIRELAYS_BEARER_TOKEN: inline } })
    expect((await r.fetch('/v1/models', { headers: bearer(inline) })).status).toBe(200)
    expect((await r.fetch('/v1/models', { headers: bearer(r.token) })).status).toBe(401)
  })

  it('rejects everything when auth is required but no token is configured', async () => {
    const r = await relay({ token: false })
    const res = await r.fetch('/v1/models', { headers: bearer('anything') })
    expect(res.status).toBe(401)
  })

  it('open mode skips only the token check (limits still apply)', async () => {
    const r = await relay({
      token: false,
      env: {
        AIRELAYS_REQUIRE_BEARER_AUTH: 'false',
        AIRELAYS_RATE_LIMIT_BURST: '2',
        AIRELAYS_RATE_LIMIT_PER_MINUTE: '1',
      },
    })
    expect((await r.fetch('/v1/models', { auth: false })).status).toBe(200)
    expect((await r.fetch('/v1/models', { headers: bearer('whatever') })).status).toBe(200)
    const limited = await r.fetch('/v1/models', { auth: false })
    expect(limited.status).toBe(429)
    expect((await envelope(limited)).code).toBe('rate_limit_exceeded')
  })

  it('protects only /v1 and /no-tools/v1', async () => {
    const r = await relay()
    expect((await r.fetch('/healthz', { auth: false })).status).toBe(200)
    expect((await r.fetch('/', { auth: false })).status).toBe(200)
    expect((await r.fetch('/no-tools/v1/models', { auth: false })).status).toBe(401)
    expect((await r.fetch('/v1/relay/status', { auth: false })).status).toBe(401)
  })
})

describe('failed-auth blocking', () => {
  const limits = {
    AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '2',
    AIRELAYS_FAILED_AUTH_BLOCK_SECONDS: '60',
  }

  it('401, 401, then 429 ip_temporarily_blocked with Retry-After: 60', async () => {
    const r = await relay({ env: limits })
    const statuses: number[] = []
    let last: Response | null = null
    for (let i = 0; i < 3; i++) {
      last = await r.fetch('/v1/models', { headers: bearer('wrong'), auth: false })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([401, 401, 429])
    expect(last?.headers.get('retry-after')).toBe('60')
    expect(await envelope(last as Response)).toEqual({
      message: 'Too many invalid authentication attempts from this IP.',
      type: 'rate_limit_error',
      param: null,
      code: 'ip_temporarily_blocked',
    })
    // a request without any token from the blocked loopback client is refused too
    expect((await r.fetch('/v1/models', { auth: false })).status).toBe(429)
  })

  it('loopback exemption: the valid token is still served during a block (design §3.3)', async () => {
    const r = await relay({ env: limits })
    for (let i = 0; i < 2; i++) await r.fetch('/v1/models', { headers: bearer('stale'), auth: false })
    expect((await r.fetch('/v1/models', { headers: bearer('stale'), auth: false })).status).toBe(429)
    expect((await r.fetch('/v1/models')).status).toBe(200)
  })

  it('a remote client stays fully blocked, valid token or not', async () => {
    const r = await relay({ env: { ...limits, AIRELAYS_TRUST_X_FORWARDED_FOR: 'true' } })
    const remote = { 'x-forwarded-for': '203.0.113.7' }
    for (let i = 0; i < 2; i++) {
      const res = await r.fetch('/v1/models', { headers: { ...remote, ...bearer('bad') }, auth: false })
      expect(res.status).toBe(401)
    }
    const good = await r.fetch('/v1/models', { headers: remote })
    expect(good.status).toBe(429)
    expect((await envelope(good)).code).toBe('ip_temporarily_blocked')
    // other clients are unaffected
    expect((await r.fetch('/v1/models', { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(200)
  })
})

describe('rate limit and order of checks', () => {
  it('token bucket: burst passes, then 429 rate_limit_exceeded with an integer Retry-After', async () => {
    const r = await relay({ env: { AIRELAYS_RATE_LIMIT_BURST: '3', AIRELAYS_RATE_LIMIT_PER_MINUTE: '6' } })
    const statuses: number[] = []
    let last: Response | null = null
    for (let i = 0; i < 4; i++) {
      last = await r.fetch('/v1/models')
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    expect(await envelope(last as Response)).toMatchObject({
      code: 'rate_limit_exceeded',
      type: 'rate_limit_error',
      message: 'Request rate limit exceeded for this IP.',
    })
  })

  it('reading the relay’s own state with the token spends no rate token; a wrong token still does', async () => {
    const r = await relay({ env: { AIRELAYS_RATE_LIMIT_BURST: '2', AIRELAYS_RATE_LIMIT_PER_MINUTE: '1' } })
    const reads = ['/v1/relay/status', '/v1/relay/traffic', '/v1/relay/logging', '/no-tools/v1/relay/status']
    for (let i = 0; i < 3; i++) for (const path of reads) expect((await r.fetch(path)).status).toBe(200)
    expect((await r.fetch('/v1/models')).status).toBe(200)
    expect((await r.fetch('/v1/relay/status', { headers: bearer('bad'), auth: false })).status).toBe(401)
    const spent = await r.fetch('/v1/models')
    expect(spent.status).toBe(429)
    expect((await envelope(spent)).code).toBe('rate_limit_exceeded')
    expect((await r.fetch('/v1/relay/status')).status).toBe(200)
  })

  it('failed auth attempts consume rate tokens: rate is checked before the bearer', async () => {
    const r = await relay({ env: { AIRELAYS_RATE_LIMIT_BURST: '2', AIRELAYS_RATE_LIMIT_PER_MINUTE: '1' } })
    expect((await r.fetch('/v1/models', { headers: bearer('bad'), auth: false })).status).toBe(401)
    expect((await r.fetch('/v1/models', { headers: bearer('bad'), auth: false })).status).toBe(401)
    const third = await r.fetch('/v1/models')
    expect(third.status).toBe(429)
    expect((await envelope(third)).code).toBe('rate_limit_exceeded')
  })

  it('a blocked address pays a token before the block check: blocked while tokens last, then rate-limited', async () => {
    const r = await relay({
      env: {
        AIRELAYS_RATE_LIMIT_BURST: '4',
        AIRELAYS_RATE_LIMIT_PER_MINUTE: '1',
        AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '2',
      },
    })
    await r.fetch('/v1/models', { headers: bearer('bad'), auth: false })
    await r.fetch('/v1/models', { headers: bearer('bad'), auth: false })
    const codes: (string | null)[] = []
    for (let i = 0; i < 4; i++) {
      codes.push((await envelope(await r.fetch('/v1/models', { headers: bearer('bad'), auth: false }))).code)
    }
    expect(codes).toEqual([
      'ip_temporarily_blocked',
      'ip_temporarily_blocked',
      'rate_limit_exceeded',
      'rate_limit_exceeded',
    ])
  })

  it('X-Forwarded-For is ignored unless trusted', async () => {
    const r = await relay({ env: { AIRELAYS_RATE_LIMIT_BURST: '2', AIRELAYS_RATE_LIMIT_PER_MINUTE: '1' } })
    const statuses: number[] = []
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      statuses.push((await r.fetch('/v1/models', { headers: { 'x-forwarded-for': ip } })).status)
    }
    expect(statuses).toEqual([200, 200, 429])
  })

  it('trusted X-Forwarded-For keys limits on the entry read from the right, past the proxy', async () => {
    const r = await relay({
      env: {
        AIRELAYS_RATE_LIMIT_BURST: '1',
        AIRELAYS_RATE_LIMIT_PER_MINUTE: '1',
        AIRELAYS_TRUST_X_FORWARDED_FOR: 'true',
      },
    })
    const statuses: number[] = []
    // An appending proxy: whatever the client wrote on the left, then the address it saw.
    for (const ip of [
      '203.0.113.1, 198.51.100.1',
      '203.0.113.2, 198.51.100.2',
      '203.0.113.3, 198.51.100.1',
    ]) {
      statuses.push((await r.fetch('/v1/models', { headers: { 'x-forwarded-for': ip } })).status)
    }
    expect(statuses).toEqual([200, 200, 429])
  })
})

describe('concurrency slots', () => {
  async function openStream(r: RelayHarness, signal?: AbortSignal): Promise<Response> {
    return r.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: 'Reply with exactly: one two three four five six seven eight' }],
      }),
      ...(signal ? { signal } : {}),
    })
  }

  it('a stream holds its slot until it ends; the next request gets 429 too_many_concurrent_requests', async () => {
    const r = await relay({ env: { AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '2' } })
    r.emu.script({ kind: 'pace', gapMs: 150 }, { kind: 'pace', gapMs: 150 })
    const a = await openStream(r)
    const b = await openStream(r)
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    const third = await r.fetch('/v1/models')
    expect(third.status).toBe(429)
    expect(third.headers.get('retry-after')).toBe('1')
    expect(await envelope(third)).toMatchObject({
      code: 'too_many_concurrent_requests',
      message: 'Too many concurrent requests from this IP.',
    })
    expect(await a.text()).toContain('data: [DONE]')
    expect(await b.text()).toContain('data: [DONE]')
    await eventually(async () => (await r.fetch('/v1/models')).status === 200)
  })

  it('a client abort frees the slot (never leaked, never negative)', async () => {
    const r = await relay({ env: { AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1' } })
    r.emu.script({ kind: 'pace', gapMs: 200 })
    const controller = new AbortController()
    const res = await openStream(r, controller.signal)
    expect(res.status).toBe(200)
    expect((await r.fetch('/v1/models')).status).toBe(429)
    controller.abort()
    await eventually(async () => (await r.fetch('/v1/models')).status === 200)
    const status = (await (await r.fetch('/v1/relay/status')).json()) as {
      security: { client: { active_requests: number } }
    }
    expect(status.security.client.active_requests).toBe(1)
  })
})

// The Anthropic routes sit behind the same security gate as the OpenAI ones (issue 20): rate
// limits, the bad-token block, the concurrency cap, Origin checks and the body limit all answer
// in Anthropic's envelope with the relay's own words; and the traffic counters count them.
import { request as httpRequest } from 'node:http'
import { eventually } from '@airelays/test-utils'
import { describe, expect, it } from 'vitest'
import { type RelayHarness, relayPerTest } from './_setup'

const relay = relayPerTest()

const ANTHROPIC = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }
const BODY = { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }

function postMessages(
  r: RelayHarness,
  init: { headers?: Record<string, string>; auth?: boolean; body?: unknown } = {},
): Promise<Response> {
  return r.fetch('/v1/messages', {
    method: 'POST',
    headers: { ...ANTHROPIC, ...init.headers },
    body: JSON.stringify(init.body ?? BODY),
    ...(init.auth === false ? { auth: false } : {}),
  })
}

/** Anthropic's error envelope; checks its shape and the `request-id` header. */
async function anthropicError(res: Response, status: number): Promise<{ type: string; message: string }> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as {
    type: string
    error: { type: string; message: string }
    request_id: string
  }
  expect(body.type).toBe('error')
  expect(body.request_id).toBe(res.headers.get('request-id'))
  expect(Object.keys(body.error).sort()).toEqual(['message', 'type'])
  return body.error
}

describe('the security gate on /v1/messages', () => {
  it('the token bucket: 429 rate_limit_error with the relay wording and an integer retry-after', async () => {
    const r = await relay({ env: { AIRELAYS_RATE_LIMIT_BURST: '2', AIRELAYS_RATE_LIMIT_PER_MINUTE: '1' } })
    expect((await postMessages(r)).status).toBe(200)
    expect((await postMessages(r)).status).toBe(200)
    const limited = await postMessages(r)
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    expect(await anthropicError(limited, 429)).toEqual({
      type: 'rate_limit_error',
      message: 'Request rate limit exceeded for this IP.',
    })
  })

  it('the bad-token block: 401, 401, then 429 with the relay wording', async () => {
    const r = await relay({
      env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '2', AIRELAYS_FAILED_AUTH_BLOCK_SECONDS: '60' },
    })
    const wrong = { auth: false, headers: { 'x-api-key': 'wrong' } }
    expect((await anthropicError(await postMessages(r, wrong), 401)).type).toBe('authentication_error')
    expect((await anthropicError(await postMessages(r, wrong), 401)).type).toBe('authentication_error')
    const blocked = await postMessages(r, wrong)
    expect(blocked.headers.get('retry-after')).toBe('60')
    expect(await anthropicError(blocked, 429)).toEqual({
      type: 'rate_limit_error',
      message: 'Too many invalid authentication attempts from this IP.',
    })
  })

  it('the concurrency cap: an open stream holds the slot, the next request gets 429', async () => {
    const r = await relay({ env: { AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1' } })
    r.emu.script({ kind: 'pace', gapMs: 150 })
    const open = await postMessages(r, { body: { ...BODY, stream: true } })
    expect(open.status).toBe(200)
    const second = await postMessages(r)
    expect(await anthropicError(second, 429)).toEqual({
      type: 'rate_limit_error',
      message: 'Too many concurrent requests from this IP.',
    })
    expect(await open.text()).toContain('event: message_stop')
    await eventually(async () => (await postMessages(r)).status === 200)
  })

  it('a page on another site: 403 permission_error, and nothing reaches the upstream', async () => {
    const r = await relay()
    const answer = await new Promise<{ status: number; body: string; requestId: unknown }>(
      (resolve, reject) => {
        const url = new URL('/v1/messages', r.relay.url)
        const req = httpRequest(url, {
          method: 'POST',
          headers: {
            ...ANTHROPIC,
            'x-api-key': r.token,
            origin: 'https://attacker.example',
            'sec-fetch-site': 'cross-site',
          },
        })
        req.on('response', (res) => {
          let body = ''
          res.setEncoding('utf8').on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body, requestId: res.headers['request-id'] }),
          )
        })
        req.on('error', reject)
        req.end(JSON.stringify(BODY))
      },
    )
    expect(answer.status).toBe(403)
    const body = JSON.parse(answer.body) as { type: string; error: { type: string; message: string } }
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('permission_error')
    expect(body.error.message).toContain(
      'Cross-origin requests from https://attacker.example are not allowed.',
    )
    expect(answer.requestId).toMatch(/.+/)
    expect(r.emu.requests.filter((q) => q.route === 'responses')).toHaveLength(0)
  })

  it('a body over the limit: 413 request_too_large', async () => {
    const r = await relay({ relay: { maxJsonBodyBytes: 64 * 1024 } })
    const big = { ...BODY, messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }
    expect((await anthropicError(await postMessages(r, { body: big }), 413)).type).toBe('request_too_large')
  })
})

describe('the traffic counters', () => {
  it('count a Messages request and its tokens like the others', async () => {
    const r = await relay()
    const traffic = async () =>
      (await (await r.fetch('/v1/relay/traffic')).json()) as {
        requests_total: number
        last_hour: { requests: number; tokens_in: number; tokens_out: number }
      }
    const before = await traffic()
    const res = await postMessages(r, {
      body: { ...BODY, messages: [{ role: 'user', content: 'count me' }] },
    })
    expect(res.status).toBe(200)
    await res.text()
    await eventually(async () => (await traffic()).requests_total > before.requests_total, 10_000)
    const after = await traffic()
    expect(after.last_hour.tokens_in).toBeGreaterThan(before.last_hour.tokens_in)
    expect(after.last_hour.tokens_out).toBeGreaterThan(before.last_hour.tokens_out)
  })
})

describe('sessions and conversations', () => {
  it("Claude Code's session header becomes the upstream session on every turn", async () => {
    const r = await relay()
    const session = 'c0ffee00-1111-4222-8333-444455556666'
    for (const text of ['first', 'second']) {
      const res = await postMessages(r, {
        headers: { 'x-claude-code-session-id': session },
        body: { ...BODY, messages: [{ role: 'user', content: text }] },
      })
      expect(res.status).toBe(200)
    }
    const calls = r.emu.requests.filter((q) => q.route === 'responses')
    expect(calls).toHaveLength(2)
    for (const call of calls) {
      expect(call.headers['session-id']).toBe(session)
      expect((call.body as { prompt_cache_key?: string }).prompt_cache_key).toBe(session)
    }
  })

  it('a conversation of the relay seeds the first Messages turn that names it', async () => {
    const r = await relay()
    const created = await r.fetch('/v1/conversations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'seeded fact' }] }],
      }),
    })
    const { id } = (await created.json()) as { id: string }
    const res = await postMessages(r, { headers: { 'x-claude-code-session-id': id } })
    expect(res.status).toBe(200)
    const [call] = r.emu.requests.filter((q) => q.route === 'responses')
    expect(call?.headers['session-id']).toBe(id)
    expect(JSON.stringify((call?.body as { input?: unknown[] } | undefined)?.input?.[0])).toContain(
      'seeded fact',
    )
  })
})

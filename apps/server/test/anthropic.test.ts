// The Anthropic Messages surface of the relay: /v1/messages (JSON and SSE), count_tokens, the
// models shape switch, Claude Code's side routes, x-api-key, and Anthropic's error envelope.
import { eventually, readFrames } from '@airelays/test-utils'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay({
    relay: { keepAliveIntervalMs: 100 },
    env: { AIRELAYS_RATE_LIMIT_BURST: '100000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000' },
  })
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

const ANTHROPIC = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }

function postMessages(
  body: Record<string, unknown>,
  init: { headers?: Record<string, string>; auth?: boolean } = {},
) {
  return h.fetch('/v1/messages?beta=true', {
    method: 'POST',
    headers: { ...ANTHROPIC, ...init.headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 256, ...body }),
    ...(init.auth === false ? { auth: false } : {}),
  })
}

function events(frames: string[]): { event: string; data: Record<string, unknown> }[] {
  return frames.map((frame) => {
    const event = /^event: (.*)$/m.exec(frame)?.[1] ?? ''
    const data = /^data: (.*)$/m.exec(frame)?.[1] ?? 'null'
    return { event, data: JSON.parse(data) as Record<string, unknown> }
  })
}

describe('POST /v1/messages', () => {
  it('answers a Message, maps the Claude model and lists the ignored parameters', async () => {
    const res = await postMessages({
      messages: [{ role: 'user', content: 'Reply with exactly: pong' }],
      temperature: 0.5,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'))
    expect(res.headers.get('x-airelays-ignored-parameters')).toBe('temperature,max_tokens')
    const message = (await res.json()) as Record<string, unknown>
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'pong' }],
      stop_reason: 'end_turn',
    })
    const upstream = h.emu.requests.find((r) => r.route === 'responses')
    expect((upstream?.body as Record<string, unknown> | undefined)?.model).toBe('gpt-5.5')
  })

  it('streams event: lines in order with a real input estimate in message_start', async () => {
    const res = await postMessages({
      stream: true,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Reply with exactly: one two three' }],
    })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const list = events((await readFrames(res)).filter((f) => !f.startsWith(':')))
    const names = list.map((e) => e.event).filter((n) => n !== 'ping')
    expect(names[0]).toBe('message_start')
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop'])
    expect(names).toContain('content_block_delta')
    for (const e of list) expect(e.data.type).toBe(e.event)
    const start = list[0]?.data.message as { usage: { input_tokens: number } }
    expect(start.usage.input_tokens).toBeGreaterThan(5)
  })

  it('stops at a stop sequence and cancels the upstream stream', async () => {
    h.emu.script({ kind: 'pace', gapMs: 100 })
    const res = await postMessages({
      stream: true,
      stop_sequences: ['three'],
      messages: [{ role: 'user', content: 'Reply with exactly: one two three four five' }],
    })
    const list = events((await readFrames(res)).filter((f) => !f.startsWith(':')))
    const text = list
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (e.data.delta as { text?: string }).text ?? '')
      .join('')
    expect(text).toBe('one two ')
    const delta = list.find((e) => e.event === 'message_delta')?.data.delta
    expect(delta).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'three' })
    expect(list.at(-1)?.event).toBe('message_stop')
    // the paced upstream stream was still running: the relay aborted it
    const upstream = await eventually(
      () => h.emu.requests.find((r) => r.route === 'responses' && r.outcome !== undefined),
      10_000,
    )
    expect(upstream.outcome).toBe('aborted')
  })

  it('sends ping frames while the upstream is silent', async () => {
    h.emu.script({ kind: 'stall', afterEvents: 6, ms: 400 })
    const res = await postMessages({ stream: true, messages: [{ role: 'user', content: 'hi' }] })
    const frames = await readFrames(res)
    expect(frames).toContain('event: ping\ndata: {"type":"ping"}')
    expect(frames.some((f) => f.startsWith(': keep-alive'))).toBe(false)
  })

  it('reports a mid-stream failure as an event: error frame', async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 7 })
    const res = await postMessages({ stream: true, messages: [{ role: 'user', content: 'hi' }] })
    const list = events(await readFrames(res))
    expect(list[0]?.event).toBe('message_start')
    expect(list.at(-1)).toMatchObject({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error' } },
    })
  })

  it('maps a usage limit to 429 rate_limit_error with an integer retry-after', async () => {
    h.emu.script({ kind: 'usage_limit', resetsInSeconds: 90.4 })
    const res = await postMessages({ messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } })
    expect(body.request_id).toBe(res.headers.get('request-id'))
  })

  it('maps an upstream overload to 529 overloaded_error', async () => {
    h.emu.script(
      { kind: 'http_error', status: 503 },
      { kind: 'http_error', status: 503 },
      { kind: 'http_error', status: 503 },
      { kind: 'http_error', status: 503 },
    )
    const res = await postMessages({ messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(529)
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } })
  })

  it('maps a context overflow to 400 "prompt is too long:"', async () => {
    h.emu.script({
      kind: 'http_error',
      status: 400,
      body: {
        error: {
          message: 'Your input exceeds the context window of this model.',
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
          param: 'input',
        },
      },
    })
    const res = await postMessages({ messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { type: string; message: string } }
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.message).toMatch(/^prompt is too long:/)
  })

  it('refuses an invalid body with a 400 invalid_request_error naming the path', async () => {
    const res = await postMessages({ messages: [{ role: 'user', content: [{ type: 'image' }] }] })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { type: string; error: { type: string; message: string } }
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('invalid_request_error')
  })
})

describe('/no-tools/v1/messages', () => {
  it('answers without tools and refuses a request that defines tools', async () => {
    const post = (body: Record<string, unknown>) =>
      h.fetch('/no-tools/v1/messages', {
        method: 'POST',
        headers: ANTHROPIC,
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, ...body }),
      })
    const plain = await post({ messages: [{ role: 'user', content: 'Reply with exactly: plain' }] })
    expect(plain.status).toBe(200)
    const refused = await post({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 't', input_schema: { type: 'object' } }],
    })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'This route disables tools.' },
    })
  })
})

describe('authentication on Anthropic routes', () => {
  it('accepts the relay token in x-api-key', async () => {
    const res = await postMessages(
      { messages: [{ role: 'user', content: 'Reply with exactly: ok' }] },
      { auth: false, headers: { 'x-api-key': h.token } },
    )
    expect(res.status).toBe(200)
  })

  it('answers 401 in the Anthropic envelope with the relay wording', async () => {
    const res = await postMessages(
      { messages: [{ role: 'user', content: 'hi' }] },
      { auth: false, headers: { 'x-api-key': 'wrong' } },
    )
    expect(res.status).toBe(401)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Missing or invalid AIRelays bearer token.' },
      request_id: res.headers.get('request-id'),
    })
  })

  it('keeps the OpenAI envelope on OpenAI routes', async () => {
    const res = await h.fetch('/v1/chat/completions', { method: 'POST', auth: false, body: '{}' })
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string } }
    expect(body.error.code).toBe('invalid_api_key')
  })
})

describe('count_tokens', () => {
  it('counts system, messages, tools and images with a tokenizer', async () => {
    const count = async (body: Record<string, unknown>): Promise<number> => {
      const res = await h.fetch('/v1/messages/count_tokens?beta=true', {
        method: 'POST',
        headers: ANTHROPIC,
        body: JSON.stringify({ model: 'claude-opus-4-8', ...body }),
      })
      expect(res.status).toBe(200)
      return ((await res.json()) as { input_tokens: number }).input_tokens
    }
    const messages = [{ role: 'user', content: 'Hello there, how are you today?' }]
    const base = await count({ messages })
    expect(base).toBeGreaterThan(5)
    expect(base).toBeLessThan(30)
    expect(
      await count({ messages, system: 'You are a careful assistant who answers briefly.' }),
    ).toBeGreaterThan(base)
    const tools = [
      {
        name: 'lookup',
        description: 'Look a word up.',
        input_schema: { type: 'object', properties: { word: { type: 'string' } } },
      },
    ]
    expect(await count({ messages, tools })).toBeGreaterThan(base)
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }
    expect(
      await count({ messages: [{ role: 'user', content: [image, { type: 'text', text: 'What is it?' }] }] }),
    ).toBeGreaterThan(1000)
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(0)
  })
})

describe('models and side routes', () => {
  it('answers GET /v1/models in the Anthropic shape when anthropic-version is sent', async () => {
    const res = await h.fetch('/v1/models', { headers: { 'anthropic-version': '2023-06-01' } })
    const page = (await res.json()) as {
      data: { type: string; id: string }[]
      has_more: boolean
      first_id: string
    }
    expect(page.has_more).toBe(false)
    expect(page.data.every((m) => m.type === 'model' && m.id.startsWith('claude-'))).toBe(true)
    expect(page.first_id).toBe(page.data[0]?.id)
    const openai = (await (await h.fetch('/v1/models')).json()) as { object: string }
    expect(openai.object).toBe('list')
  })

  it('answers GET /v1/models/{id} for any Claude id and 404 not_found_error otherwise', async () => {
    const headers = { 'anthropic-version': '2023-06-01' }
    const one = (await (await h.fetch('/v1/models/claude-mythos-5', { headers })).json()) as { id: string }
    expect(one.id).toBe('claude-mythos-5')
    const missing = await h.fetch('/v1/models/llama-3', { headers })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  })

  it('answers the side routes without a token and never counts them as failed logins', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await h.fetch('/api/event_logging/v2/batch', { method: 'POST', auth: false, body: '{}' })
      expect(res.status).toBe(204)
    }
    const hello = await h.fetch('/api/hello', { method: 'HEAD', auth: false })
    expect(hello.status).toBe(200)
    // the IP is not blocked: a request with the token still passes
    const ok = await postMessages({ messages: [{ role: 'user', content: 'Reply with exactly: ok' }] })
    expect(ok.status).toBe(200)
  })

  it('answers HEAD /api/hello and swallows event logging', async () => {
    const hello = await h.fetch('/api/hello', { method: 'HEAD' })
    expect(hello.status).toBe(200)
    const logging = await h.fetch('/api/event_logging/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ name: 'x' }] }),
    })
    expect(logging.status).toBe(204)
    expect(await logging.text()).toBe('')
  })

  it('logs a Messages request like the others (inbound, usage, outbound)', async () => {
    const res = await postMessages({ messages: [{ role: 'user', content: 'Reply with exactly: logged' }] })
    const id = res.headers.get('x-request-id')
    await res.text()
    await eventually(async () => {
      const phases = (await h.logRecords()).filter((r) => r.request_id === id).map((r) => r.phase)
      return ['inbound_request', 'outbound_usage', 'outbound_response'].every((p) => phases.includes(p))
    }, 10_000)
  })
})

describe('the Claude model map of [providers.anthropic]', () => {
  it('defaults to the translate package map', async () => {
    const { claudeModelTable } = await import('@airelays/config')
    const { DEFAULT_CLAUDE_MODEL_MAP } = await import('@airelays/translate')
    expect(claudeModelTable(h.config)).toEqual(DEFAULT_CLAUDE_MODEL_MAP)
  })

  it('maps model names with the configured entries', async () => {
    const custom = await startRelay({ env: { AIRELAYS_ANTHROPIC_MODELS: 'opus=gpt-5.4-mini:low' } })
    try {
      const res = await custom.fetch('/v1/messages', {
        method: 'POST',
        headers: ANTHROPIC,
        body: JSON.stringify({
          model: 'claude-opus-4-8',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'Reply with exactly: mapped' }],
        }),
      })
      expect(res.status).toBe(200)
      const upstream = custom.emu.requests.find((r) => r.route === 'responses')
      expect(upstream?.body).toMatchObject({ model: 'gpt-5.4-mini', reasoning: { effort: 'low' } })
    } finally {
      await custom.close()
    }
  })

  it('answers 422 provider_disabled in the Anthropic envelope when the surface is off', async () => {
    const off = await startRelay({ env: { AIRELAYS_ENABLE_ANTHROPIC: 'false' } })
    try {
      const res = await off.fetch('/v1/messages', { method: 'POST', headers: ANTHROPIC, body: '{}' })
      expect(res.status).toBe(422)
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    } finally {
      await off.close()
    }
  })
})

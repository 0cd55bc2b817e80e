// The relay against the Codex backend of late 2026 (issue 18), on the wire: what the emulator
// recorded upstream and what the client received.
import type { RecordedRequest } from '@airelays/upstream-emulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary JSON payloads
type Loose = any

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay({
    env: { AIRELAYS_RATE_LIMIT_BURST: '100000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000' },
  })
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

const bodyOf = (request: RecordedRequest | undefined): Loose => request?.body ?? {}

const upstreamCalls = (r: RelayHarness = h): RecordedRequest[] =>
  r.emu.requests.filter((q) => q.route === 'responses')

function post(path: string, body: unknown, headers: Record<string, string> = {}, r: RelayHarness = h) {
  return r.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** Event names of an SSE body, comments (`: keep-alive`) as `:`. */
function frameNames(text: string): string[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => (f.startsWith(':') ? ':' : (/^event: (.+)$/m.exec(f)?.[1] ?? 'data')))
}

/** What Codex CLI 0.169 / 0.171 sends to a custom provider (upstream-changes-2026.md §6). */
function codexRequest(): { headers: Record<string, string>; body: Record<string, unknown> } {
  const session = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
  const turnMetadata = JSON.stringify({ session_id: session, thread_id: session, turn_id: 't-1' })
  return {
    headers: {
      originator: 'codex_exec',
      'user-agent': 'codex_exec/0.171.0 (Debian 12.0.0; x86_64) dumb (codex_exec; 0.171.0)',
      'session-id': session,
      'thread-id': session,
      'x-client-request-id': session,
      'x-codex-window-id': `${session}:0`,
      'x-codex-turn-metadata': turnMetadata,
      'x-codex-beta-features': 'remote_compaction_v2',
      accept: 'text/event-stream',
    },
    body: {
      model: 'gpt-5.5',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'base prompt' }] },
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'permissions' }] },
        { type: 'agent_message', author: '/root', recipient: '/root/worker', content: 'look at src/' },
        {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'Reply with exactly: codex-contract-ok' }],
        },
      ],
      tools: [
        {
          type: 'function',
          name: 'exec_command',
          description: 'Run a command',
          strict: false,
          parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
        },
        {
          type: 'custom',
          name: 'apply_patch',
          description: 'Patch files',
          format: { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch"' },
        },
        { type: 'tool_search', execution: 'client', parameters: { type: 'object', properties: {} } },
        { type: 'web_search', external_web_access: true, search_content_types: ['text', 'image'] },
        { type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent' }] },
      ],
      tool_choice: 'none',
      parallel_tool_calls: true,
      reasoning: { effort: 'medium', context: 'all_turns' },
      include: ['reasoning.encrypted_content'],
      text: { verbosity: 'low' },
      store: false,
      stream: true,
      prompt_cache_key: session,
      client_metadata: { 'x-codex-installation-id': 'inst-1', session_id: session, turn_id: 't-1' },
      some_future_field: { kept: true },
    },
  }
}

describe('/v1/responses is passthrough first (Codex request shape)', () => {
  it('forwards unknown items, tools and fields untouched, and the Codex session headers', async () => {
    const { headers, body } = codexRequest()
    const res = await post('/v1/responses', body, headers)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('codex-contract-ok')
    const [sent] = upstreamCalls()
    const up = sent?.body as Loose
    expect(up.tools).toEqual(body.tools)
    expect(up.input).toEqual(body.input)
    expect(up.client_metadata).toEqual(body.client_metadata)
    expect(up.some_future_field).toEqual({ kept: true })
    expect(up.reasoning).toEqual(body.reasoning)
    expect(up.text).toEqual(body.text)
    expect(up.include).toEqual(body.include)
    expect(up.prompt_cache_key).toBe(body.prompt_cache_key)
    expect(up.store).toBe(false)
    for (const name of [
      'session-id',
      'thread-id',
      'x-client-request-id',
      'x-codex-window-id',
      'x-codex-turn-metadata',
      'x-codex-beta-features',
    ]) {
      expect(sent?.headers[name], name).toBe(headers[name])
    }
    // the relay's own identity goes upstream: one client version for /models and /responses
    expect(sent?.headers.version).toBe('0.171.0')
    expect(sent?.headers['user-agent']).toBe('codex_cli_rs/0.171.0 (airelays)')
    const models = h.emu.requests.filter((q) => q.route === 'models')
    for (const m of models) expect(m.query.client_version).toBe('0.171.0')
  })

  it('forwards the Responses-Lite header and additional_tools items', async () => {
    const res = await post(
      '/v1/responses',
      {
        model: 'gpt-5.6-sol',
        input: [
          {
            type: 'additional_tools',
            role: 'developer',
            tools: [{ type: 'namespace', name: 'functions', tools: [] }],
          },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
        ],
        stream: true,
      },
      { 'x-openai-internal-codex-responses-lite': 'true' },
    )
    expect(res.status).toBe(200)
    await res.text()
    const [sent] = upstreamCalls()
    expect(sent?.headers['x-openai-internal-codex-responses-lite']).toBe('true')
    expect(bodyOf(sent).input[0].type).toBe('additional_tools')
  })

  it('drops user and safety_identifier and lists them in x-airelays-ignored-parameters', async () => {
    const res = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: 'hi',
      user: 'u-1',
      safety_identifier: 'sid',
      stream: false,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-airelays-ignored-parameters')?.split(',').sort()).toEqual([
      'safety_identifier',
      'user',
    ])
    const up = upstreamCalls()[0]?.body as Loose
    expect(up.user).toBeUndefined()
    expect(up.safety_identifier).toBeUndefined()
  })
})

describe('events clients do not expect', () => {
  it('/v1/responses gives Codex the non-standard frames, never ahead of response.created', async () => {
    h.emu.script({ kind: 'extra_events' })
    const codex = { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0 (Debian 12.0.0; x86_64)' }
    const res = await post(
      '/v1/responses',
      { model: 'gpt-5.5', input: 'Reply with exactly: ok', stream: true },
      codex,
    )
    const names = frameNames(await res.text()).filter((n) => n !== ':')
    expect(names[0]).toBe('response.created')
    expect(names).toContain('response.metadata')
    expect(names).toContain('codex.rate_limits')
    expect(names).toContain('codex.response.metadata')
    expect(names).toContain('responsesapi.websocket_timing')
    expect(names.at(-1)).toBe('response.completed')
  })

  it('/v1/responses leaves them out for other clients', async () => {
    h.emu.script({ kind: 'extra_events' })
    const res = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: 'Reply with exactly: ok',
      stream: true,
    })
    const names = frameNames(await res.text()).filter((n) => n !== ':')
    expect(names[0]).toBe('response.created')
    expect(names.filter((n) => !n.startsWith('response.'))).toEqual([])
    expect(names).not.toContain('response.metadata')
    expect(names.at(-1)).toBe('response.completed')
  })

  it("the openai SDK's responses.stream() reads a stream that starts with response.metadata", async () => {
    h.emu.script({ kind: 'extra_events' })
    const stream = h.openai().responses.stream({ model: 'gpt-5.5', input: 'Reply with exactly: sdk-ok' })
    const deltas: string[] = []
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta))
    const final = await stream.finalResponse()
    expect(final.output_text).toBe('sdk-ok')
    expect(deltas.join('')).toBe('sdk-ok')
  })

  it('chat completions (stream and not) and completions never show them', async () => {
    h.emu.script({ kind: 'extra_events' }, { kind: 'extra_events' }, { kind: 'extra_events' })
    const client = h.openai()
    const chunks: string[] = []
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'Reply with exactly: chat-ok' }],
    })
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk')
      chunks.push(chunk.choices[0]?.delta?.content ?? '')
    }
    expect(chunks.join('')).toBe('chat-ok')
    const whole = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Reply with exactly: chat-ok' }],
    })
    expect(whole.choices[0]?.message.content).toBe('chat-ok')
    const raw = await post('/v1/completions', {
      model: 'gpt-5.5',
      prompt: 'Reply with exactly: c-ok',
      stream: true,
    })
    const text = await raw.text()
    expect(text).toContain('c-ok')
    expect(text).not.toMatch(/codex\.|responsesapi\.|response\.metadata/)
  })
})

describe('long silences', () => {
  it('a 20-second silent upstream reaches the client with keep-alives and completes', async () => {
    const r = await startRelay({ relay: { keepAliveIntervalMs: 4000, streamHoldMs: 500 } })
    try {
      r.emu.script({ kind: 'silence', ms: 20_000 })
      const res = await post(
        '/v1/responses',
        { model: 'gpt-5.5', input: 'Reply with exactly: woke', stream: true },
        {},
        r,
      )
      expect(res.status).toBe(200)
      const names = frameNames(await res.text())
      expect(names[0]).toBe(':')
      expect(names.filter((n) => n === ':').length).toBeGreaterThanOrEqual(2)
      expect(names.at(-1)).toBe('response.completed')
    } finally {
      await r.close()
    }
  }, 60_000)

  it('every streaming route commits its headers with a keep-alive while the upstream is silent', async () => {
    const r = await startRelay({ relay: { keepAliveIntervalMs: 200, streamHoldMs: 100 } })
    try {
      const bodies: Array<[string, Record<string, unknown>]> = [
        [
          '/v1/chat/completions',
          { model: 'gpt-5.5', stream: true, messages: [{ role: 'user', content: 'Reply with exactly: a' }] },
        ],
        ['/v1/completions', { model: 'gpt-5.5', stream: true, prompt: 'Reply with exactly: a' }],
        ['/v1/responses', { model: 'gpt-5.5', stream: true, input: 'Reply with exactly: a' }],
      ]
      for (const [path, body] of bodies) {
        r.emu.script({ kind: 'silence', ms: 700 })
        const res = await post(path, body, {}, r)
        expect(res.status, path).toBe(200)
        const text = await res.text()
        expect(text.startsWith(': keep-alive\n\n'), path).toBe(true)
        expect(text, path).toMatch(/response\.completed|\[DONE\]/)
      }
    } finally {
      await r.close()
    }
  })

  it('server.stream_keepalive_seconds sets the keep-alive interval', async () => {
    const r = await startRelay({
      env: { AIRELAYS_STREAM_KEEPALIVE_SECONDS: '0.2' },
      relay: { streamHoldMs: 100 },
    })
    try {
      r.emu.script({ kind: 'silence', ms: 3000 })
      const res = await post('/v1/responses', { model: 'gpt-5.5', stream: true, input: 'hi' }, {}, r)
      const names = frameNames(await res.text())
      // the default (15 s) would write one after the hold window and no other in 3 s of silence
      expect(names.filter((n) => n === ':').length).toBeGreaterThanOrEqual(2)
      expect(names.at(-1)).toBe('response.completed')
    } finally {
      await r.close()
    }
  })

  it('a failure within the hold window is still a plain HTTP error', async () => {
    h.emu.script({ kind: 'usage_limit', resetsInSeconds: 60 })
    const res = await post('/v1/chat/completions', {
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(res.status).toBe(429)
    expect(((await res.json()) as Loose).error.code).toBe('usage_limit_reached')
  })

  it('the upstream idle budget is configurable; past it the committed stream ends with an error event', async () => {
    const r = await startRelay({
      env: { AIRELAYS_STREAM_IDLE_TIMEOUT_SECONDS: '0.3', AIRELAYS_OPENAI_RETRY_ATTEMPTS: '0' },
      relay: { keepAliveIntervalMs: 100, streamHoldMs: 50 },
    })
    try {
      r.emu.script({ kind: 'silence', ms: 5000 })
      const res = await post('/v1/responses', { model: 'gpt-5.5', stream: true, input: 'hi' }, {}, r)
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(text.startsWith(': keep-alive')).toBe(true)
      expect(text).toContain('event: error')
      expect(text).toContain('upstream_timeout')
    } finally {
      await r.close()
    }
  })
})

describe('compaction', () => {
  const history = [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'First' }] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Answer' }] },
  ]

  it('a trailing compaction_trigger works through /v1/responses', async () => {
    const res = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: [...history, { type: 'compaction_trigger' }],
      stream: false,
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Loose
    expect(body.output.map((o: Loose) => o.type)).toEqual(['compaction'])
    expect(bodyOf(upstreamCalls()[0]).input.at(-1)).toEqual({ type: 'compaction_trigger' })
  })

  it('POST /v1/responses/compact is translated to /responses with a trailing trigger', async () => {
    const res = await post('/v1/responses/compact', { model: 'gpt-5.5', instructions: 'x', input: history })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Loose
    expect(body.object).toBe('response.compaction')
    expect(body.output).toHaveLength(1)
    expect(body.output[0]).toMatchObject({ type: 'compaction', encrypted_content: expect.any(String) })
    const [sent] = upstreamCalls()
    expect(sent?.path).toBe('/backend-api/codex/responses')
    const input = bodyOf(sent).input
    expect(input.at(-1)).toEqual({ type: 'compaction_trigger' })
    expect(input.slice(0, -1)).toEqual(history)
    // the compaction item goes back in later turns
    const next = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: [
        body.output[0],
        {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'Reply with exactly: after' }],
        },
      ],
      stream: false,
    })
    expect(
      ((await next.json()) as Loose).output_text ?? JSON.stringify(await Promise.resolve('')),
    ).toBeDefined()
  })
})

describe('models and parameters', () => {
  it('answers an unknown model locally with 404 model_not_found naming available ids', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'gpt-9-nope',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(res.status).toBe(404)
    const error = ((await res.json()) as Loose).error
    expect(error.code).toBe('model_not_found')
    expect(error.param).toBe('model')
    expect(error.message).toContain('`gpt-5.5`')
    expect(upstreamCalls()).toHaveLength(0)
  })

  it('lists what the account can call at the client version, with catalog reasoning modes', async () => {
    const list = (await (await h.fetch('/v1/models')).json()) as Loose
    const ids = list.data.map((m: Loose) => m.id)
    expect(ids).toEqual([
      'gpt-5.5',
      'gpt-5.4-mini',
      'gpt-5.6-sol',
      'gpt-5.6-terra',
      'gpt-5.6-luna',
      'gpt-6-astra',
      'gpt-6-sol',
      'gpt-6-luna',
    ])
    const sol = list.data.find((m: Loose) => m.id === 'gpt-6-sol')
    expect(sol.airelays.reasoning).toEqual({
      parameter: 'reasoning_effort',
      modes: ['low', 'medium', 'high', 'xhigh', 'max'],
      default: 'high',
    })
    expect(sol.airelays.service_tiers).toEqual(['priority'])
    expect(sol.airelays.minimal_client_version).toBe('0.155.0')
  })

  it('?refresh=true refetches the catalog', async () => {
    await h.fetch('/v1/models')
    const before = h.emu.requests.filter((q) => q.route === 'models').length
    await h.fetch('/v1/models')
    expect(h.emu.requests.filter((q) => q.route === 'models').length).toBe(before)
    expect((await h.fetch('/v1/models?refresh=true')).status).toBe(200)
    expect(h.emu.requests.filter((q) => q.route === 'models').length).toBe(before + 1)
  })

  it('refuses an effort the model does not support before any upstream call', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'gpt-6-sol',
      reasoning_effort: 'minimal',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(res.status).toBe(400)
    const error = ((await res.json()) as Loose).error
    expect(error.code).toBe('unsupported_value')
    expect(error.param).toBe('reasoning_effort')
    expect(error.message).toContain("'max'")
    expect(upstreamCalls()).toHaveLength(0)
  })

  it('service_tier fast becomes priority where the catalog allows it, else it is dropped and reported', async () => {
    const fast = await post('/v1/chat/completions', {
      model: 'gpt-5.5',
      service_tier: 'fast',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(fast.status).toBe(200)
    expect(bodyOf(upstreamCalls()[0]).service_tier).toBe('priority')
    const mini = await post('/v1/chat/completions', {
      model: 'gpt-5.4-mini',
      service_tier: 'fast',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(mini.status).toBe(200)
    expect(mini.headers.get('x-airelays-ignored-parameters')).toBe('service_tier')
    expect(bodyOf(upstreamCalls()[1]).service_tier).toBeUndefined()
  })

  it('a chat client without a session gets a stable derived session id, and cached tokens on repeats', async () => {
    const body = {
      model: 'gpt-5.5',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Reply with exactly: cached' },
      ],
    }
    const first = (await (await post('/v1/chat/completions', body)).json()) as Loose
    const second = (await (await post('/v1/chat/completions', body)).json()) as Loose
    const [a, b] = upstreamCalls()
    expect(a?.headers['session-id']).toMatch(/.+/)
    expect(b?.headers['session-id']).toBe(a?.headers['session-id'])
    expect(bodyOf(b).prompt_cache_key).toBe(bodyOf(a).prompt_cache_key)
    expect(first.usage.prompt_tokens_details.cached_tokens).toBe(0)
    expect(second.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(0)
  })

  it('chat and completions clients that send only `user` share one session per user', async () => {
    const chat = (user: string, text: string) =>
      post('/v1/chat/completions', { model: 'gpt-5.5', user, messages: [{ role: 'user', content: text }] })
    const turns = [
      await chat('alice', 'first question'),
      await chat('alice', 'an unrelated second question'),
      await chat('bob', 'first question'),
      await post('/v1/completions', { model: 'gpt-5.5', user: 'alice', prompt: 'a third one' }),
    ]
    for (const turn of turns) {
      expect(turn.status).toBe(200)
      expect(turn.headers.get('x-airelays-ignored-parameters')).toBe('user')
    }
    const [a1, a2, b1, a3] = upstreamCalls()
    const session = a1?.headers['session-id']
    expect(session).toMatch(/^airelays-user-[0-9a-f]{32}$/)
    expect(bodyOf(a1).prompt_cache_key).toBe(session)
    for (const same of [a2, a3]) {
      expect(same?.headers['session-id']).toBe(session)
      expect(bodyOf(same).prompt_cache_key).toBe(session)
    }
    expect(b1?.headers['session-id']).not.toBe(session)
    expect(bodyOf(b1).prompt_cache_key).toBe(b1?.headers['session-id'])
    for (const call of [a1, a2, b1, a3]) {
      expect(bodyOf(call)).not.toHaveProperty('user')
      expect(JSON.stringify(bodyOf(call))).not.toContain('alice')
    }
  })
})

describe('client version', () => {
  it('a model above the client version: local 404 when unlisted, client_version_too_old when forced', async () => {
    const r = await startRelay({
      env: { AIRELAYS_CLIENT_VERSION: '0.153.4', AIRELAYS_OPENAI_EXTRA_MODELS: 'gpt-6-luna' },
    })
    try {
      const ids = ((await (await r.fetch('/v1/models')).json()) as Loose).data.map((m: Loose) => m.id)
      expect(ids).toContain('gpt-6-astra')
      expect(ids).not.toContain('gpt-6-sol')
      const unlisted = await post('/v1/responses', { model: 'gpt-6-sol', input: 'hi' }, {}, r)
      expect(unlisted.status).toBe(404)
      expect(((await unlisted.json()) as Loose).error.message).toContain('0.153.4')
      const forced = await post('/v1/responses', { model: 'gpt-6-luna', input: 'hi' }, {}, r)
      expect(forced.status).toBe(400)
      const error = ((await forced.json()) as Loose).error
      expect(error).toMatchObject({
        type: 'invalid_request_error',
        code: 'client_version_too_old',
        param: 'model',
      })
      expect(error.message).toContain('`gpt-6-luna`')
      expect(error.message).toContain('0.153.4')
      expect(error.message).toContain('upstream.client_version')
      expect(upstreamCalls(r)[0]?.headers.version).toBe('0.153.4')
    } finally {
      await r.close()
    }
  })
})

describe('usage', () => {
  it('/v1/subscription/status carries the whole payload; a weekly-only plan shows only the weekly window', async () => {
    h.emu.setUsage({
      weeklyOnly: true,
      secondaryUsedPercent: 61,
      additionalRateLimits: [
        { limit_name: 'codex_other', metered_feature: 'codex_bengalfox', usedPercent: 40 },
      ],
      spendControl: { reached: false, reached_limit_type: null },
      rateLimitReachedType: null,
      resetCreditsAvailable: 2,
      codeReviewUsedPercent: 5,
      hasCredits: true,
      creditsBalance: '3.25',
    })
    try {
      const status = (await (await h.fetch('/v1/subscription/status')).json()) as Loose
      expect(status.windows.five_hour).toBeNull()
      expect(status.windows.weekly.used_percent).toBe(61)
      expect(status.rate_limits.default.secondary_window).toBeNull()
      expect(status.rate_limits.additional[0].limit_name).toBe('codex_other')
      expect(status.rate_limits.code_review.primary_window.used_percent).toBe(5)
      expect(status.credits).toMatchObject({ has_credits: true, balance: '3.25' })
      expect(status.spend_control).toEqual({ reached: false, reached_limit_type: null })
      expect(status.rate_limit_reset_credits).toEqual({ available_count: 2 })
    } finally {
      h.emu.setUsage({
        weeklyOnly: false,
        secondaryUsedPercent: 34,
        additionalRateLimits: [],
        codeReviewUsedPercent: null,
      })
    }
  })
})

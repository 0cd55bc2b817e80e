import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { authHeaders, codexBody, type Loose, postResponses, userInput } from './_test-helpers'
import type { UpstreamEmulator } from './index'
import { createUpstreamEmulator } from './index'

let emu: UpstreamEmulator
beforeAll(async () => {
  emu = await createUpstreamEmulator()
})
afterAll(async () => {
  await emu.close()
})
beforeEach(() => {
  emu.reset()
})

async function rejection(body: unknown, headers: Record<string, string> = {}) {
  const res = await postResponses(emu, body, headers)
  return { status: res.status, body: (await res.json()) as unknown, res }
}

describe('POST /backend-api/codex/responses rejections (exact bodies)', () => {
  it('401 {"detail":"Unauthorized"} for a missing, unknown, expired or malformed bearer', async () => {
    const expired = emu.issueTokens({ expiresInSeconds: -10 })
    for (const authorization of [
      '',
      'Bearer nope',
      `Bearer ${expired.access_token}`,
      `Basic ${expired.access_token}`,
    ]) {
      const r = await rejection(codexBody(), { authorization })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ detail: 'Unauthorized' })
      expect(r.res.headers.get('x-codex-primary-used-percent')).toBe('12')
      expect(r.res.headers.get('x-request-id')).toBeTruthy()
    }
  })

  it('400 without the account header (any case), 403 when it names another account', async () => {
    const tokens = emu.issueTokens()
    const missing = await fetch(`${emu.backendUrl}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify(codexBody()),
    })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ detail: 'Missing ChatGPT-Account-ID header' })

    const upper = await fetch(`${emu.backendUrl}/responses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'ChatGPT-Account-ID': tokens.account_id,
        'content-type': 'application/json',
      },
      body: JSON.stringify(codexBody()),
    })
    expect(upper.status).toBe(200)
    await upper.text()

    const other = await rejection(codexBody(), { 'chatgpt-account-id': 'acct_other' })
    expect(other.status).toBe(403)
    expect(other.body).toEqual({ detail: 'The ChatGPT-Account-ID header does not match the access token.' })
    expect(other.res.headers.get('x-openai-authorization-error')).toBe('account_mismatch')
  })

  it('store and stream are mandatory', async () => {
    expect(await rejection(codexBody({ store: true }))).toMatchObject({
      status: 400,
      body: { detail: 'Store must be set to false' },
    })
    expect(await rejection(codexBody({ store: undefined }))).toMatchObject({
      status: 400,
      body: { detail: 'Store must be set to false' },
    })
    expect(await rejection(codexBody({ stream: false }))).toMatchObject({
      status: 400,
      body: { detail: 'Stream must be set to true' },
    })
  })

  it.each([
    ['max_output_tokens', 100],
    ['max_tokens', 100],
    ['max_completion_tokens', 100],
    ['temperature', 0.2],
    ['top_p', 0.9],
    ['presence_penalty', 0.1],
    ['frequency_penalty', 0.1],
    ['seed', 7],
    ['metadata', { a: 'b' }],
    ['top_logprobs', 2],
    ['prompt_cache_retention', '24h'],
    ['safety_identifier', 'user-1'],
    ['stream_options', { include_usage: true }],
  ])('400 Unsupported parameter: %s', async (name, value) => {
    const r = await rejection(codexBody({ [name]: value }))
    expect(r.status).toBe(400)
    expect(r.body).toEqual({ detail: `Unsupported parameter: ${name}` })
  })

  it('previous_response_id is not found over HTTP', async () => {
    const r = await rejection(codexBody({ previous_response_id: 'resp_abc' }))
    expect(r.status).toBe(400)
    expect(r.body).toEqual({
      error: {
        message: "Previous response with id 'resp_abc' not found.",
        type: 'invalid_request_error',
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      },
    })
  })

  it('system role input items are refused', async () => {
    const r = await rejection(
      codexBody({
        input: [{ type: 'message', role: 'system', content: [{ type: 'input_text', text: 'x' }] }],
      }),
    )
    expect(r).toMatchObject({ status: 400, body: { detail: 'System messages are not allowed' } })
  })

  it('instructions must be a string', async () => {
    const r = await rejection(codexBody({ instructions: { text: 'x' } }))
    expect(r.status).toBe(400)
    expect(r.body).toEqual({
      error: {
        message: "Invalid type for 'instructions': expected a string, but got an object instead.",
        type: 'invalid_request_error',
        param: 'instructions',
        code: 'invalid_type',
      },
    })
  })

  it('unknown models are not supported with a ChatGPT account; hidden models still work', async () => {
    const r = await rejection(codexBody({ model: 'gpt-4o' }))
    expect(r).toMatchObject({
      status: 400,
      body: { detail: "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account." },
    })
    const hidden = await postResponses(emu, codexBody({ model: 'codex-auto-review' }))
    expect(hidden.status).toBe(200)
    await hidden.text()
  })

  it('item references and input item ids are 404 because nothing is stored', async () => {
    const message =
      "Item with id 'rs_123' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input."
    const ref = await rejection(codexBody({ input: [{ type: 'item_reference', id: 'rs_123' }] }))
    expect(ref.status).toBe(404)
    expect(ref.body).toEqual({
      error: { message, type: 'invalid_request_error', param: 'input', code: null },
    })
    const withId = await rejection(
      codexBody({
        input: [...userInput('hi'), { type: 'reasoning', id: 'rs_123', summary: [], encrypted_content: 'x' }],
      }),
    )
    expect(withId.status).toBe(404)
    expect((withId.body as { error: { message: string } }).error.message).toBe(message)
  })

  it('a function_call_output without its function_call is 400 on param input', async () => {
    const r = await rejection(
      codexBody({
        input: [...userInput('hi'), { type: 'function_call_output', call_id: 'call_9', output: 'x' }],
      }),
    )
    expect(r.status).toBe(400)
    expect(r.body).toEqual({
      error: {
        message: 'No tool call found for function call output with call_id call_9.',
        type: 'invalid_request_error',
        param: 'input',
        code: null,
      },
    })
    const matched = await postResponses(
      emu,
      codexBody({
        input: [
          ...userInput('hi'),
          { type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_9', output: 'x' },
        ],
      }),
    )
    expect(matched.status).toBe(200)
    await matched.text()
  })

  it('nested (Chat-style) function tools are missing their name', async () => {
    const r = await rejection(
      codexBody({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }),
    )
    expect(r.status).toBe(400)
    expect(r.body).toEqual({
      error: {
        message: "Missing required parameter: 'tools[0].name'.",
        type: 'invalid_request_error',
        param: 'tools[0].name',
        code: 'missing_required_parameter',
      },
    })
  })

  it('reasoning efforts are checked against the model catalog', async () => {
    const r = await rejection(codexBody({ model: 'gpt-5.5', reasoning: { effort: 'ultra' } }))
    expect(r.status).toBe(400)
    expect(r.body).toEqual({
      error: {
        message:
          "Unsupported value: 'ultra' is not supported with the 'gpt-5.5' model. Supported values are: 'low', 'medium', 'high', and 'xhigh'.",
        type: 'invalid_request_error',
        param: 'reasoning.effort',
        code: 'unsupported_value',
      },
    })
    const ok = await postResponses(emu, codexBody({ model: 'gpt-5.6-sol', reasoning: { effort: 'ultra' } }))
    expect(ok.status).toBe(200)
    await ok.text()
  })

  it('service tiers must be offered by the model', async () => {
    const r = await rejection(codexBody({ model: 'gpt-5.4-mini', service_tier: 'priority' }))
    expect(r).toMatchObject({ status: 400, body: { detail: 'Unsupported parameter: service_tier' } })
    const ok = await postResponses(emu, codexBody({ model: 'gpt-5.5', service_tier: 'priority' }))
    expect(ok.status).toBe(200)
    await ok.text()
  })

  it('invalid JSON, wrong methods and unknown paths', async () => {
    const bad = await rejection('{not json', {})
    expect(bad.status).toBe(400)
    expect((bad.body as { error: { type: string } }).error.type).toBe('invalid_request_error')
    const get = await fetch(`${emu.backendUrl}/responses`, { headers: authHeaders(emu) })
    expect(get.status).toBe(405)
    expect(await get.json()).toEqual({ detail: 'Method Not Allowed' })
    expect(get.headers.get('x-codex-primary-used-percent')).toBe('12')
    const unknown = await fetch(`${emu.url}/backend-api/nope`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ detail: 'Not Found' })
    expect(unknown.headers.get('x-request-id')).toBeTruthy()
    expect(unknown.headers.get('x-codex-plan-type')).toBe('plus')
  })

  it('accepts a bare string input', async () => {
    const res = await postResponses(emu, codexBody({ input: 'Reply with exactly: ok' }))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('"text":"ok"')
  })
})

describe('GET /backend-api/codex/models', () => {
  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${emu.backendUrl}/models${query}`, { headers: { ...authHeaders(emu), ...headers } })

  it('lists the catalog sorted by priority with an ETag', async () => {
    const res = await get('?client_version=0.169.0')
    expect(res.status).toBe(200)
    const etag = res.headers.get('etag')
    expect(etag).toMatch(/^".+"$/)
    expect(res.headers.get('x-codex-plan-type')).toBe('plus')
    const { models } = (await res.json()) as { models: Array<Record<string, unknown>> }
    expect(models.map((m) => m.slug)).toEqual([
      'gpt-5.5',
      'gpt-5.4-mini',
      'gpt-5.6-sol',
      'gpt-5.6-terra',
      'gpt-5.6-luna',
      'gpt-6-astra',
      'gpt-6-sol',
      'gpt-6-luna',
      'codex-auto-review',
    ])
    expect(models.filter((m) => m.visibility === 'list')).toHaveLength(8)
    expect(models.find((m) => m.slug === 'codex-auto-review')?.visibility).toBe('hide')
    for (const m of models) {
      for (const key of [
        'display_name',
        'priority',
        'supported_reasoning_levels',
        'default_reasoning_level',
        'minimal_client_version',
        'service_tiers',
        'context_window',
      ]) {
        expect(m).toHaveProperty(key)
      }
    }
    const again = await get('?client_version=0.169.0', { 'if-none-match': etag ?? '' })
    expect(again.status).toBe(304)
  })

  it('hides models whose minimal_client_version is newer than client_version', async () => {
    const res = await get('?client_version=0.125.0')
    const { models } = (await res.json()) as { models: Array<{ slug: string }> }
    expect(models.map((m) => m.slug)).toEqual(['gpt-5.5', 'gpt-5.4-mini', 'codex-auto-review'])
    const old = (await (await get('?client_version=0.50.0')).json()) as { models: unknown[] }
    expect(old.models).toEqual([])
  })

  it('requires authentication', async () => {
    const res = await fetch(`${emu.backendUrl}/models?client_version=0.146.0`)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ detail: 'Unauthorized' })
  })

  it('serves a custom catalog', async () => {
    const custom = await createUpstreamEmulator({
      models: [
        {
          slug: 'only-model',
          display_name: 'Only',
          description: 'x',
          visibility: 'list',
          priority: 1,
          default_reasoning_level: 'low',
          supported_reasoning_levels: [{ effort: 'low', description: 'low' }],
          minimal_client_version: '0.1.0',
          supported_in_api: true,
          context_window: 1000,
          service_tiers: [],
          supports_reasoning_summaries: false,
          support_verbosity: false,
          default_verbosity: null,
          supports_parallel_tool_calls: false,
          shell_type: 'default',
          truncation_policy: { mode: 'bytes', limit: 10 },
        },
      ],
    })
    try {
      const t = custom.issueTokens()
      const res = await fetch(`${custom.backendUrl}/models?client_version=1.0.0`, {
        headers: { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id },
      })
      expect(((await res.json()) as { models: Array<{ slug: string }> }).models.map((m) => m.slug)).toEqual([
        'only-model',
      ])
      const rejected = await postResponses(custom, codexBody())
      expect(await rejected.json()).toEqual({
        detail: "The 'gpt-5.5' model is not supported when using Codex with a ChatGPT account.",
      })
    } finally {
      await custom.close()
    }
  })
})

describe('usage endpoints', () => {
  it('serves the rate-limit payload on /wham/usage and /codex/usage', async () => {
    for (const path of ['/backend-api/wham/usage', '/backend-api/codex/usage']) {
      const res = await fetch(`${emu.url}${path}`, { headers: authHeaders(emu) })
      expect(res.status).toBe(200)
      const body = (await res.json()) as Loose
      expect(body).toMatchObject({
        plan_type: 'plus',
        email: 'dev@example.com',
        account_id: 'acct_emulator',
        user_id: 'user_emulator',
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: { used_percent: 12, limit_window_seconds: 18000 },
          secondary_window: { used_percent: 34, limit_window_seconds: 604800 },
        },
        credits: { has_credits: false, unlimited: false, balance: '0' },
      })
      const primary = body.rate_limit.primary_window
      expect(primary.reset_at - primary.reset_after_seconds).toBeCloseTo(Date.now() / 1000, -1)
    }
  })

  it('setUsage changes the figures, the headers and the limit flags', async () => {
    const local = await createUpstreamEmulator({
      usage: { primaryUsedPercent: 100, primaryResetAfterSeconds: 60 },
    })
    try {
      const t = local.issueTokens({ plan: 'pro' })
      const headers = { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id }
      const res = await fetch(`${local.url}/backend-api/wham/usage`, { headers })
      const body = (await res.json()) as Loose
      expect(body.plan_type).toBe('pro')
      expect(body.rate_limit).toMatchObject({ allowed: false, limit_reached: true })
      expect(body.rate_limit.primary_window.reset_after_seconds).toBeLessThanOrEqual(60)
      expect(res.headers.get('x-codex-primary-used-percent')).toBe('100')
      local.setUsage({ primaryUsedPercent: 40.5, secondaryUsedPercent: 2 })
      const next = await fetch(`${local.url}/backend-api/codex/usage`, { headers })
      expect(next.headers.get('x-codex-primary-used-percent')).toBe('40.5')
      expect(((await next.json()) as Loose).rate_limit.secondary_window.used_percent).toBe(2)
      expect(() => local.setUsage({ primaryUsedPercent: 120 })).toThrowError(/primaryUsedPercent/)
    } finally {
      await local.close()
    }
  })

  it('whamForbidden makes /wham/usage 403 while /codex/usage still answers', async () => {
    emu.setUsage({ whamForbidden: true })
    try {
      const wham = await fetch(`${emu.url}/backend-api/wham/usage`, { headers: authHeaders(emu) })
      expect(wham.status).toBe(403)
      const codex = await fetch(`${emu.url}/backend-api/codex/usage`, { headers: authHeaders(emu) })
      expect(codex.status).toBe(200)
    } finally {
      emu.setUsage({ whamForbidden: false })
    }
  })

  it('a scripted 403 on the usage route hits the next usage call only', async () => {
    emu.script({ kind: 'http_error', status: 403, route: 'usage' })
    const first = await fetch(`${emu.url}/backend-api/wham/usage`, { headers: authHeaders(emu) })
    expect(first.status).toBe(403)
    expect(await first.json()).toEqual({ detail: 'Forbidden' })
    const second = await fetch(`${emu.url}/backend-api/codex/usage`, { headers: authHeaders(emu) })
    expect(second.status).toBe(200)
  })
})

describe('x-codex-* headers', () => {
  it('are sent on streaming responses with the rate-limit families', async () => {
    const res = await postResponses(emu, codexBody())
    await res.text()
    const h = res.headers
    expect(h.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(h.get('x-codex-primary-window-minutes')).toBe('300')
    expect(h.get('x-codex-secondary-window-minutes')).toBe('10080')
    expect(Number(h.get('x-codex-primary-reset-at'))).toBeGreaterThan(Date.now() / 1000)
    expect(Number(h.get('x-codex-secondary-reset-after-seconds'))).toBeGreaterThan(0)
    expect(h.get('x-codex-credits-has-credits')).toBe('False')
    expect(h.get('x-codex-active-limit')).toBe('codex')
    expect(h.get('x-models-etag')).toMatch(/^".+"$/)
    expect(h.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

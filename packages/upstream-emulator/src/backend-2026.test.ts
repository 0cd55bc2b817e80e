import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  authHeaders,
  codexBody,
  type Loose,
  parseSse,
  postResponses,
  type SseEvent,
  userInput,
} from './_test-helpers'
import type { UpstreamEmulator } from './index'
import { createUpstreamEmulator } from './index'

// The Codex backend of late 2026 (upstream-changes-2026.md): version-gated models, compaction,
// extra frames, silent periods, the grown usage payload and Fast mode.

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

const types = (events: SseEvent[]): string[] => events.map((e) => e.event)
const V = (version: string) => ({ version })

async function streamOk(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<SseEvent[]> {
  const res = await postResponses(emu, body, headers)
  expect(res.status).toBe(200)
  return parseSse(await res.text())
}

async function models(query: string): Promise<Array<Record<string, Loose>>> {
  const res = await fetch(`${emu.backendUrl}/models${query}`, { headers: authHeaders(emu) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { models: Array<Record<string, Loose>> }).models
}

describe('models gated by client version', () => {
  it('lists at each client version only the models that version may call', async () => {
    const slugs = async (v: string) =>
      (await models(`?client_version=${v}`)).filter((m) => m.visibility === 'list').map((m) => m.slug)
    expect(await slugs('0.124.0')).toEqual(['gpt-5.5', 'gpt-5.4-mini'])
    expect(await slugs('0.144.0')).toEqual([
      'gpt-5.5',
      'gpt-5.4-mini',
      'gpt-5.6-sol',
      'gpt-5.6-terra',
      'gpt-5.6-luna',
    ])
    expect(await slugs('0.153.4')).toContain('gpt-6-astra')
    expect(await slugs('0.153.4')).not.toContain('gpt-6-sol')
    expect(await slugs('0.169.0')).toEqual([
      'gpt-5.5',
      'gpt-5.4-mini',
      'gpt-5.6-sol',
      'gpt-5.6-terra',
      'gpt-5.6-luna',
      'gpt-6-astra',
      'gpt-6-sol',
      'gpt-6-luna',
    ])
  })

  it('carries minimal_client_version, supported_reasoning_levels and service_tiers per model', async () => {
    const all = await models('?client_version=0.169.0')
    const bySlug = new Map(all.map((m) => [m.slug, m]))
    expect(bySlug.get('gpt-6-sol')?.minimal_client_version).toBe('0.155.0')
    expect(bySlug.get('gpt-6-luna')?.minimal_client_version).toBe('0.155.0')
    expect(bySlug.get('gpt-6-astra')?.minimal_client_version).toBe('0.153.0')
    expect(bySlug.get('gpt-5.6-terra')?.minimal_client_version).toBe('0.144.0')
    expect(bySlug.get('gpt-6-astra')?.supported_reasoning_levels.map((l: Loose) => l.effort)).toEqual([
      'low',
      'medium',
      'high',
      'xhigh',
      'max',
      'ultra',
    ])
    expect(bySlug.get('gpt-5.5')?.service_tiers).toEqual([{ id: 'priority' }])
    expect(bySlug.get('gpt-5.4-mini')?.service_tiers).toEqual([])
  })

  it('refuses a model above the `version` header with the backend message', async () => {
    const res = await postResponses(emu, codexBody({ model: 'gpt-6-sol' }), V('0.153.4'))
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      detail:
        "The 'gpt-6-sol' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again.",
    })
    const ok = await postResponses(emu, codexBody({ model: 'gpt-6-sol' }), V('0.155.0'))
    expect(ok.status).toBe(200)
    await ok.text()
  })

  it('reads the version from a Codex user agent when there is no version header', async () => {
    const old = await postResponses(emu, codexBody({ model: 'gpt-5.6-sol' }), {
      'user-agent': 'codex_cli_rs/0.124.0 (Linux 6.1; x86_64) xterm',
    })
    expect(old.status).toBe(400)
    expect(((await old.json()) as Loose).detail).toContain('requires a newer version of Codex')
    const current = await postResponses(emu, codexBody({ model: 'gpt-5.6-sol' }), {
      'user-agent': 'codex_exec/0.169.0 (Linux 6.1; x86_64)',
    })
    expect(current.status).toBe(200)
    await current.text()
  })

  it('lets every catalog model through when the caller names no version', async () => {
    const res = await postResponses(emu, codexBody({ model: 'gpt-6-luna' }))
    expect(res.status).toBe(200)
    await res.text()
  })

  it('refuses ultra on gpt-6-astra although the catalog lists it', async () => {
    const res = await postResponses(
      emu,
      codexBody({ model: 'gpt-6-astra', reasoning: { effort: 'ultra' } }),
      V('0.169.0'),
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as Loose
    expect(body.error.code).toBe('unsupported_value')
    expect(body.error.param).toBe('reasoning.effort')
    expect(body.error.message).toContain("'low', 'medium', 'high', 'xhigh', and 'max'")
  })
})

describe('service tiers', () => {
  it('refuses "fast" by name and allows priority where the catalog lists it', async () => {
    const fast = await postResponses(emu, codexBody({ service_tier: 'fast' }))
    expect(fast.status).toBe(400)
    expect(await fast.json()).toEqual({ detail: 'Unsupported service_tier: fast' })
    const priority = await streamOk(codexBody({ service_tier: 'priority' }))
    expect(((priority[0] as SseEvent).data.response as Loose).service_tier).toBe('priority')
    const mini = await postResponses(emu, codexBody({ model: 'gpt-5.4-mini', service_tier: 'priority' }))
    expect(mini.status).toBe(400)
    expect(await mini.json()).toEqual({ detail: 'Unsupported parameter: service_tier' })
  })
})

describe('compaction', () => {
  const history = [
    ...userInput('First question'),
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'First answer' }] },
  ]

  it('answers a trailing compaction_trigger with exactly one compaction item', async () => {
    const events = await streamOk(codexBody({ input: [...history, { type: 'compaction_trigger' }] }))
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.output_item.done',
      'response.completed',
    ])
    const output = ((events[4] as SseEvent).data.response as Loose).output as Loose[]
    expect(output).toHaveLength(1)
    expect(output[0].type).toBe('compaction')
    expect(output[0].encrypted_content).toMatch(/^gAAAAB/)
    // the compaction item goes back in `input` on later turns
    const next = await streamOk(
      codexBody({ input: [output[0], ...userInput('Reply with exactly: still here')] }),
    )
    expect(JSON.stringify(next)).toContain('still here')
  })

  it('answers the trigger with the compaction item even when a reply was scripted', async () => {
    emu.script({ kind: 'reply', output: { text: 'not this' } })
    const events = await streamOk(codexBody({ input: [...history, { type: 'compaction_trigger' }] }))
    const output = ((events.at(-1) as SseEvent).data.response as Loose).output as Loose[]
    expect(output.map((o) => o.type)).toEqual(['compaction'])
  })

  it('refuses a trigger that is not the last input item', async () => {
    const res = await postResponses(
      emu,
      codexBody({ input: [{ type: 'compaction_trigger' }, ...userInput('after')] }),
    )
    expect(res.status).toBe(400)
    const body = (await res.json()) as Loose
    expect(body.error.message).toBe("The 'compaction_trigger' item must be the final input item.")
    expect(body.error.param).toBe('input')
  })

  it('answers the retired /responses/compact endpoint with 404', async () => {
    const res = await fetch(`${emu.backendUrl}/responses/compact`, {
      method: 'POST',
      headers: { ...authHeaders(emu), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', input: history, instructions: '' }),
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not Found' })
  })

  it('accepts the Codex-only input items and tool types it does not interpret', async () => {
    const events = await streamOk(
      codexBody({
        input: [
          { type: 'agent_message', author: 'root', recipient: 'worker', content: 'look at src/' },
          { type: 'additional_tools', tools: [{ type: 'function', name: 'x', parameters: {} }] },
          ...userInput('Reply with exactly: fine'),
        ],
        tools: [
          {
            type: 'custom',
            name: 'apply_patch',
            format: { type: 'grammar', syntax: 'lark', definition: 'x' },
          },
          { type: 'tool_search' },
          { type: 'web_search' },
          { type: 'namespace', name: 'mcp', tools: [] },
        ],
      }),
    )
    expect(JSON.stringify(events.at(-1))).toContain('fine')
  })
})

describe('non-standard frames', () => {
  it('extra_events puts response.metadata before response.created and the codex frames around it', async () => {
    emu.script({ kind: 'extra_events' })
    const events = await streamOk(codexBody())
    const t = types(events)
    expect(t[0]).toBe('response.metadata')
    expect(t[1]).toBe('response.created')
    expect(t).toContain('codex.response.metadata')
    expect(t).toContain('codex.rate_limits')
    expect(t.at(-2)).toBe('responsesapi.websocket_timing')
    expect(t.at(-1)).toBe('response.completed')
    const limits = events.find((e) => e.event === 'codex.rate_limits')?.data as Loose
    expect(limits.plan_type).toBe('plus')
    expect(limits.rate_limits.primary.window_minutes).toBe(300)
    expect(limits.rate_limits.secondary.window_minutes).toBe(10080)
    // the next stream is plain again
    expect(types(await streamOk(codexBody()))[0]).toBe('response.created')
  })

  it('extra_events with a subset adds only those frames', async () => {
    emu.script({ kind: 'extra_events', events: { metadata: true } })
    const t = types(await streamOk(codexBody()))
    expect(t[0]).toBe('response.metadata')
    expect(t.filter((x) => !x.startsWith('response.'))).toEqual([])
  })

  it('the extraEvents option adds frames to every stream', async () => {
    const e = await createUpstreamEmulator({ extraEvents: { metadata: true, rateLimits: true } })
    try {
      for (let i = 0; i < 2; i++) {
        const res = await postResponses(e, codexBody())
        const t = types(parseSse(await res.text()))
        expect(t[0]).toBe('response.metadata')
        expect(t).toContain('codex.rate_limits')
      }
    } finally {
      await e.close()
    }
  })
})

describe('silent periods', () => {
  it('silence holds the stream after response.in_progress, then it completes', async () => {
    emu.script({ kind: 'silence', ms: 300 })
    const started = Date.now()
    const res = await postResponses(emu, codexBody())
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    // the preamble arrives at once
    while (!text.includes('response.in_progress')) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    expect(text).not.toContain('response.output_item.added')
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    const events = parseSse(text)
    expect(types(events).at(-1)).toBe('response.completed')
    expect(emu.requests.at(-1)?.behaviour).toBe('silence')
  })

  it('silence with afterEvents 0 holds even response.created back', async () => {
    emu.script({ kind: 'silence', ms: 50, afterEvents: 0 })
    const events = await streamOk(codexBody())
    expect(types(events)[0]).toBe('response.created')
  })

  it('rejects a silence without ms', () => {
    expect(() => emu.script({ kind: 'silence' } as never)).toThrow(/ms/)
  })
})

describe('/wham/usage of late 2026', () => {
  const usage = async (e: UpstreamEmulator = emu): Promise<Response> =>
    fetch(`${e.url}/backend-api/wham/usage`, { headers: authHeaders(e) })

  it('carries the new fields with their defaults', async () => {
    const body = (await (await usage()).json()) as Loose
    expect(body.rate_limit.primary_window.limit_window_seconds).toBe(18000)
    expect(body.rate_limit.secondary_window.limit_window_seconds).toBe(604800)
    expect(body.credits).toMatchObject({ has_credits: false, unlimited: false, balance: '0' })
    expect(body.spend_control).toBeNull()
    expect(body.rate_limit_reached_type).toBeNull()
    expect(body.rate_limit_reset_credits).toEqual({ available_count: 0 })
    expect(body.code_review_rate_limit).toBeNull()
    expect(body.additional_rate_limits).toBeNull()
  })

  it('reports additional limits, spend control, credits, reached type and reset credits', async () => {
    const e = await createUpstreamEmulator({
      plan: 'self_serve_business_usage_based',
      usage: {
        additionalRateLimits: [
          { limit_name: 'codex_other', metered_feature: 'codex_bengalfox', usedPercent: 40 },
        ],
        spendControl: { reached: true, reached_limit_type: 'workspace', workspace_limit: { amount: 100 } },
        hasCredits: true,
        creditsBalance: '12.50',
        rateLimitReachedType: 'workspace_member_credits_depleted',
        resetCreditsAvailable: 2,
        codeReviewUsedPercent: 5,
      },
    })
    try {
      const body = (await (await usage(e)).json()) as Loose
      expect(body.plan_type).toBe('self_serve_business_usage_based')
      expect(body.additional_rate_limits).toHaveLength(1)
      expect(body.additional_rate_limits[0]).toMatchObject({
        limit_name: 'codex_other',
        metered_feature: 'codex_bengalfox',
        rate_limit: { primary_window: { used_percent: 40, limit_window_seconds: 18000 } },
      })
      expect(body.spend_control).toEqual({
        reached: true,
        reached_limit_type: 'workspace',
        workspace_limit: { amount: 100 },
      })
      expect(body.credits).toMatchObject({ has_credits: true, balance: '12.50' })
      expect(body.rate_limit_reached_type).toBe('workspace_member_credits_depleted')
      expect(body.rate_limit_reset_credits).toEqual({ available_count: 2 })
      expect(body.code_review_rate_limit.primary_window).toMatchObject({
        used_percent: 5,
        limit_window_seconds: 604800,
      })
    } finally {
      await e.close()
    }
  })

  it('a weekly-only plan reports one weekly window, in the body, the headers and codex.rate_limits', async () => {
    emu.setUsage({ weeklyOnly: true, secondaryUsedPercent: 61 })
    try {
      const res = await usage()
      const body = (await res.json()) as Loose
      expect(body.rate_limit.primary_window).toMatchObject({ used_percent: 61, limit_window_seconds: 604800 })
      expect(body.rate_limit.secondary_window).toBeNull()
      expect(res.headers.get('x-codex-primary-window-minutes')).toBe('10080')
      expect(res.headers.get('x-codex-primary-used-percent')).toBe('61')
      expect(res.headers.get('x-codex-secondary-used-percent')).toBeNull()
      emu.script({ kind: 'extra_events', events: { rateLimits: true } })
      const events = await streamOk(codexBody())
      const limits = events.find((e) => e.event === 'codex.rate_limits')?.data as Loose
      expect(limits.rate_limits.primary.window_minutes).toBe(10080)
      expect(limits.rate_limits.secondary).toBeNull()
    } finally {
      emu.setUsage({ weeklyOnly: false, secondaryUsedPercent: 34 })
    }
  })

  it('rejects invalid new usage settings', () => {
    expect(() => emu.setUsage({ resetCreditsAvailable: -1 })).toThrow(/resetCreditsAvailable/)
    expect(() => emu.setUsage({ codeReviewUsedPercent: 101 })).toThrow(/codeReviewUsedPercent/)
  })
})

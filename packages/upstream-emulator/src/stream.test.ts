import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { codexBody, type Loose, parseSse, postResponses, type SseEvent, userInput } from './_test-helpers'
import { DEFAULT_TEXT } from './backend/replies'
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

async function stream(body: Record<string, unknown>, e: UpstreamEmulator = emu): Promise<SseEvent[]> {
  const res = await postResponses(e, body)
  expect(res.status).toBe(200)
  return parseSse(await res.text())
}

const types = (events: SseEvent[]): string[] => events.map((e) => e.event)
const last = (events: SseEvent[]): SseEvent => events[events.length - 1] as SseEvent
const completedResponse = (events: SseEvent[]) =>
  last(events).data.response as {
    output: Array<Loose>
    usage: Loose
    status: string
  }

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  strict: false,
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    },
    required: ['city'],
  },
}
const TIME_TOOL = {
  type: 'function',
  name: 'get_time',
  parameters: { type: 'object', properties: { zone: { type: 'string', format: 'date-time' } } },
}

describe('event sequence', () => {
  it('streams created, in_progress, the message item with text deltas and completed with usage', async () => {
    const events = await stream(codexBody({ input: userInput('Reply with exactly: The quick brown fox') }))
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    events.forEach((e, i) => {
      expect(e.data.type).toBe(e.event)
      expect(e.data.sequence_number).toBe(i)
    })
    const created = events[0]?.data.response as Record<string, unknown>
    expect(created).toMatchObject({
      object: 'response',
      status: 'in_progress',
      model: 'gpt-5.5',
      output: [],
      usage: null,
    })
    expect(created.id).toMatch(/^resp_/)
    expect(typeof created.created_at).toBe('number')
    const added = events[2]?.data as Loose
    expect(added.output_index).toBe(0)
    expect(added.item).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [],
      status: 'in_progress',
    })
    const itemId = added.item.id as string
    expect(itemId).toMatch(/^msg_/)
    const deltas = events.filter((e) => e.event === 'response.output_text.delta')
    for (const d of deltas)
      expect(d.data).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0 })
    expect(deltas.map((d) => d.data.delta).join('')).toBe('The quick brown fox')
    expect(events[8]?.data.text).toBe('The quick brown fox')
    const done = events[10]?.data.item as Loose
    expect(done).toMatchObject({
      id: itemId,
      status: 'completed',
      content: [{ type: 'output_text', text: 'The quick brown fox' }],
    })
    const final = completedResponse(events)
    expect(final.status).toBe('completed')
    expect(final.output).toEqual([done])
    const usage = final.usage
    expect(usage.input_tokens).toBeGreaterThan(0)
    expect(usage.input_tokens_details).toEqual({ cached_tokens: 0 })
    expect(usage.output_tokens_details).toEqual({ reasoning_tokens: 0 })
    expect(usage.output_tokens).toBe(Math.ceil('The quick brown fox'.length / 4))
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens)
  })

  it('answers the fixed sentence without an instruction, deterministically', async () => {
    const a = await stream(codexBody())
    const b = await stream(codexBody())
    const textOf = (events: SseEvent[]) => completedResponse(events).output[0]?.content[0].text
    expect(textOf(a)).toBe(DEFAULT_TEXT)
    expect(completedResponse(a).usage).toEqual(completedResponse(b).usage)
  })

  it('reports cached tokens for a repeated prompt_cache_key', async () => {
    const body = codexBody({ prompt_cache_key: 'conv-1' })
    const first = completedResponse(await stream(body)).usage
    const second = completedResponse(await stream(body)).usage
    expect(first.input_tokens_details.cached_tokens).toBe(0)
    expect(second.input_tokens_details.cached_tokens).toBe(second.input_tokens)
  })

  it('emits a reasoning item with summary deltas, and encrypted_content only when included', async () => {
    const events = await stream(
      codexBody({ reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] }),
    )
    expect(types(events).slice(0, 9)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
    ])
    const addedReasoning = events[2]?.data as Loose
    expect(addedReasoning.item).toMatchObject({ type: 'reasoning', summary: [] })
    expect(addedReasoning.item.id).toMatch(/^rs_/)
    const reasoningDone = events.find(
      (e) => e.event === 'response.output_item.done' && (e.data.item as Loose).type === 'reasoning',
    )?.data as Loose
    const summary = events
      .filter((e) => e.event === 'response.reasoning_summary_text.delta')
      .map((e) => e.data.delta)
      .join('')
    expect(reasoningDone.item.summary).toEqual([{ type: 'summary_text', text: summary }])
    expect(reasoningDone.item.encrypted_content).toMatch(/^gAAAAB/)
    const textDone = events.find((e) => e.event === 'response.reasoning_summary_text.done')?.data
    expect(textDone).toMatchObject({ summary_index: 0, text: summary })
    const final = completedResponse(events)
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message'])
    expect(final.output[1]?.id).toMatch(/^msg_/)
    expect(events.find((e) => e.event === 'response.output_text.delta')?.data.output_index).toBe(1)
    expect(final.usage.output_tokens_details.reasoning_tokens).toBeGreaterThan(0)

    const plain = await stream(codexBody({ reasoning: { effort: 'low', summary: 'auto' } }))
    const plainReasoning = completedResponse(plain).output[0] as Record<string, unknown>
    expect(plainReasoning.type).toBe('reasoning')
    expect(plainReasoning).not.toHaveProperty('encrypted_content')
  })

  it('calls the first tool with schema-valid arguments streamed as deltas', async () => {
    const events = await stream(codexBody({ tools: [WEATHER_TOOL, TIME_TOOL], tool_choice: 'auto' }))
    const t = types(events)
    expect(t).toContain('response.function_call_arguments.delta')
    expect(t).not.toContain('response.output_text.delta')
    const added = events.find((e) => e.event === 'response.output_item.added')?.data as Loose
    expect(added.item).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '' })
    expect(added.item.call_id).toMatch(/^call_/)
    expect(added.item.id).toMatch(/^fc_/)
    const deltas = events
      .filter((e) => e.event === 'response.function_call_arguments.delta')
      .map((e) => e.data.delta)
      .join('')
    const done = events.find((e) => e.event === 'response.function_call_arguments.done')?.data as Loose
    expect(done.arguments).toBe(deltas)
    expect(JSON.parse(deltas)).toEqual({ city: 'example', unit: 'celsius', days: 1 })
    const final = completedResponse(events)
    expect(final.output).toHaveLength(1)
    expect(final.output[0]).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      call_id: added.item.call_id,
    })
  })

  it('calls two tools when parallel_tool_calls is set, a named tool when forced, none for tool_choice none', async () => {
    const parallel = completedResponse(
      await stream(codexBody({ tools: [WEATHER_TOOL, TIME_TOOL], parallel_tool_calls: true })),
    )
    expect(parallel.output.map((o) => o.name)).toEqual(['get_weather', 'get_time'])
    expect(JSON.parse(parallel.output[1]?.arguments)).toEqual({ zone: '2026-01-01T00:00:00Z' })
    expect(parallel.output[0]?.call_id).not.toBe(parallel.output[1]?.call_id)

    const forced = completedResponse(
      await stream(
        codexBody({ tools: [WEATHER_TOOL, TIME_TOOL], tool_choice: { type: 'function', name: 'get_time' } }),
      ),
    )
    expect(forced.output.map((o) => o.name)).toEqual(['get_time'])

    const none = completedResponse(await stream(codexBody({ tools: [WEATHER_TOOL], tool_choice: 'none' })))
    expect(none.output.map((o) => o.type)).toEqual(['message'])
  })

  it('answers with text after a function_call_output', async () => {
    const events = await stream(
      codexBody({
        tools: [WEATHER_TOOL],
        input: [
          ...userInput('Reply with exactly: It is sunny'),
          { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        ],
      }),
    )
    expect(completedResponse(events).output[0]?.content[0].text).toBe('It is sunny')
  })

  it('answers a JSON instance of a json_schema text format', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 10 },
        tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 2 },
        score: { type: 'number', exclusiveMinimum: 5 },
        kind: { anyOf: [{ type: 'null' }, { const: 'special' }] },
        ok: { type: 'boolean' },
      },
      required: ['name', 'tags', 'score', 'kind', 'ok'],
      additionalProperties: false,
      $defs: { tag: { type: 'string', enum: ['a', 'b'] } },
    }
    const events = await stream(
      codexBody({ text: { format: { type: 'json_schema', name: 'out', strict: true, schema } } }),
    )
    const text = completedResponse(events).output[0]?.content[0].text as string
    expect(JSON.parse(text)).toEqual({
      name: 'examplexxx',
      tags: ['a', 'a'],
      score: 6,
      kind: 'special',
      ok: true,
    })
  })

  it('uses `events` to set the number of text deltas', async () => {
    const e = await createUpstreamEmulator({ events: 20 })
    try {
      const events = await stream(codexBody(), e)
      expect(events.filter((x) => x.event === 'response.output_text.delta')).toHaveLength(20)
      const exact = await stream(codexBody({ input: userInput('Reply with exactly: abc') }), e)
      const deltas = exact.filter((x) => x.event === 'response.output_text.delta').map((x) => x.data.delta)
      expect(deltas).toEqual(['a', 'b', 'c'])
    } finally {
      await e.close()
    }
  })
})

describe('scripted behaviours on /responses', () => {
  it('usage_limit: 429 with the usage_limit_reached body and x-codex headers', async () => {
    emu.script({ kind: 'usage_limit', resetsInSeconds: 120 })
    const res = await postResponses(emu, codexBody())
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-codex-primary-used-percent')).toBe('100')
    expect(res.headers.get('x-codex-primary-reset-after-seconds')).toBe('120')
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: 'plus',
      eligible_promo: null,
      resets_in_seconds: 120,
    })
    expect(body.error.resets_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 119)
    // one-shot
    expect((await postResponses(emu, codexBody())).status).toBe(200)
  })

  it('http_error: status, custom body and headers, or a default body per status', async () => {
    emu.script(
      { kind: 'http_error', status: 500 },
      { kind: 'http_error', status: 503 },
      { kind: 'http_error', status: 502, body: '<html>bad gateway</html>', headers: { 'retry-after': '3' } },
      { kind: 'http_error', status: 400, body: { detail: 'Instructions are not valid' } },
    )
    const a = await postResponses(emu, codexBody())
    expect(a.status).toBe(500)
    expect(((await a.json()) as Loose).error.type).toBe('server_error')
    const b = await postResponses(emu, codexBody())
    expect(b.status).toBe(503)
    expect(((await b.json()) as Loose).error.code).toBe('server_is_overloaded')
    const c = await postResponses(emu, codexBody())
    expect(c.status).toBe(502)
    expect(c.headers.get('retry-after')).toBe('3')
    expect(c.headers.get('content-type')).toContain('text/plain')
    expect(await c.text()).toBe('<html>bad gateway</html>')
    const d = await postResponses(emu, codexBody())
    expect(await d.json()).toEqual({ detail: 'Instructions are not valid' })
  })

  it('expired_token: 401 Unauthorized even with a valid token', async () => {
    emu.script({ kind: 'expired_token' })
    const res = await postResponses(emu, codexBody())
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ detail: 'Unauthorized' })
  })

  it('overload_in_stream: 200, created, in_progress, then an error event server_is_overloaded', async () => {
    emu.script({ kind: 'overload_in_stream' })
    const events = await stream(codexBody())
    expect(types(events)).toEqual(['response.created', 'response.in_progress', 'error'])
    expect(last(events).data).toMatchObject({
      type: 'error',
      code: 'server_is_overloaded',
      error: { type: 'service_unavailable_error', code: 'server_is_overloaded' },
    })
  })

  it('usage_limit_in_stream: an error event with status_code 429 and the x-codex values', async () => {
    emu.script({ kind: 'usage_limit_in_stream', resetsInSeconds: 60 })
    const events = await stream(codexBody())
    expect(types(events)).toEqual(['response.created', 'response.in_progress', 'error'])
    const data = last(events).data as Loose
    expect(data.status_code).toBe(429)
    expect(data.error).toMatchObject({
      type: 'usage_limit_reached',
      resets_in_seconds: 60,
      plan_type: 'plus',
    })
    expect(data.headers['x-codex-primary-used-percent']).toBe('100')
  })

  it('failed_event: response.failed with the code and message', async () => {
    emu.script({ kind: 'failed_event', code: 'context_length_exceeded', message: 'Too long' })
    const events = await stream(codexBody())
    expect(types(events)).toEqual(['response.created', 'response.in_progress', 'response.failed'])
    expect(last(events).data.response).toMatchObject({
      status: 'failed',
      error: { code: 'context_length_exceeded', message: 'Too long' },
    })
    emu.script({ kind: 'failed_event' })
    const defaults = await stream(codexBody())
    expect(last(defaults).data.response).toMatchObject({ error: { code: 'server_error' } })
  })

  it('incomplete: response.incomplete with the reason, partial output and usage', async () => {
    emu.script({ kind: 'incomplete' }, { kind: 'incomplete', reason: 'content_filter' })
    const a = await stream(codexBody())
    expect(last(a).event).toBe('response.incomplete')
    expect(last(a).data.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    })
    expect((last(a).data.response as Loose).usage.total_tokens).toBeGreaterThan(0)
    const b = await stream(codexBody())
    expect((last(b).data.response as Loose).incomplete_details.reason).toBe('content_filter')
  })

  it('empty_completed_output: completed.output is empty although items were streamed', async () => {
    emu.script({ kind: 'empty_completed_output' })
    const events = await stream(codexBody())
    expect(types(events)).toContain('response.output_item.done')
    expect(completedResponse(events).output).toEqual([])
  })

  it('no_content_type: the SSE stream has no Content-Type header', async () => {
    emu.script({ kind: 'no_content_type' })
    const res = await postResponses(emu, codexBody())
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBeNull()
    expect(last(parseSse(await res.text())).event).toBe('response.completed')
  })

  it('end_early: the stream closes cleanly after N events without response.completed', async () => {
    emu.script({ kind: 'end_early', afterEvents: 4 })
    const events = await stream(codexBody())
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ])
    const record = await emu.waitFor((r) => r.outcome !== undefined)
    expect(record.outcome).toBe('completed')
  })

  it('cut_mid_stream: the socket is destroyed after N events and the client sees a broken body', async () => {
    emu.script({ kind: 'cut_mid_stream', afterEvents: 3 })
    const res = await postResponses(emu, codexBody())
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const decoder = new TextDecoder()
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          text += decoder.decode(value)
        }
      })(),
    ).rejects.toThrow()
    expect(types(parseSse(text))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
    ])
    const record = await emu.waitFor((r) => r.outcome === 'destroyed')
    expect(record.behaviour).toBe('cut_mid_stream')
    expect(record.abortedAt).toBeUndefined()
    expect(emu.stats()).toMatchObject({ inFlight: 0, aborted: 0 })
  })

  it('destroy: the socket is destroyed before any byte', async () => {
    emu.script({ kind: 'destroy' })
    await expect(postResponses(emu, codexBody())).rejects.toThrow()
    const record = await emu.waitFor((r) => r.behaviour === 'destroy' && r.outcome === 'destroyed')
    expect(record.status).toBeUndefined()
  })

  it('stall: pauses after N events, then finishes normally', async () => {
    emu.script({ kind: 'stall', afterEvents: 2, ms: 150 })
    const started = Date.now()
    const res = await postResponses(emu, codexBody())
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    let firstChunkAt = 0
    let firstChunkText = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (firstChunkAt === 0) {
        firstChunkAt = Date.now()
        firstChunkText = decoder.decode(value)
      }
      text += decoder.decode(value)
    }
    const events = parseSse(text)
    expect(last(events).event).toBe('response.completed')
    // the first two events arrive before the pause, the rest after it
    expect(firstChunkText.startsWith('event: response.created')).toBe(true)
    expect(parseSse(firstChunkText).map((x) => x.event)).toEqual(['response.created', 'response.in_progress'])
    // the pause happened: the whole exchange took at least the stall. Measured from before the
    // request, so a client slow to read the first chunk cannot shrink it (a lower bound only).
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(started).toBeLessThanOrEqual(firstChunkAt)
  })

  it('delay: waits before the headers, then answers normally; the next behaviour waits for the next request', async () => {
    emu.script({ kind: 'delay', ms: 120 }, { kind: 'failed_event' })
    const started = Date.now()
    const res = await postResponses(emu, codexBody())
    expect(Date.now() - started).toBeGreaterThanOrEqual(110)
    expect(res.status).toBe(200)
    expect(last(parseSse(await res.text())).event).toBe('response.completed')
    expect(last(await stream(codexBody())).event).toBe('response.failed')
  })

  it('reply: scripted text, reasoning, tool calls and phases', async () => {
    emu.script({
      kind: 'reply',
      output: {
        text: 'Done.',
        reasoning: 'Thinking hard',
        toolCalls: [
          { name: 'lookup', arguments: { q: 'x' } },
          { name: 'raw', arguments: '{"a":1}' },
        ],
        phases: true,
      },
    })
    const events = await stream(codexBody())
    const output = completedResponse(events).output
    expect(output.map((o) => o.type)).toEqual([
      'reasoning',
      'message',
      'message',
      'function_call',
      'function_call',
    ])
    expect(output[0]?.summary[0].text).toBe('Thinking hard')
    expect(output[1]).toMatchObject({ phase: 'commentary' })
    expect(output[2]).toMatchObject({ phase: 'final_answer', content: [{ text: 'Done.' }] })
    expect(output[3]).toMatchObject({ name: 'lookup', arguments: '{"q":"x"}' })
    expect(output[4]).toMatchObject({ name: 'raw', arguments: '{"a":1}' })
    expect(output.map((o) => o.id)).toEqual([...new Set(output.map((o) => o.id))])
    const indexes = events
      .filter((e) => e.event === 'response.output_item.added')
      .map((e) => e.data.output_index)
    expect(indexes).toEqual([0, 1, 2, 3, 4])
  })

  it('reply with only tool calls has no message item', async () => {
    emu.script({ kind: 'reply', output: { toolCalls: [{ name: 'f', arguments: '{}' }] } })
    const output = completedResponse(await stream(codexBody())).output
    expect(output.map((o) => o.type)).toEqual(['function_call'])
  })

  it('behaviours wait for a request their route matches and survive invalid requests', async () => {
    emu.script({ kind: 'failed_event' }, { kind: 'http_error', status: 500, route: 'models' })
    const invalid = await postResponses(emu, codexBody({ store: true }))
    expect(invalid.status).toBe(400)
    await invalid.text()
    const events = await stream(codexBody())
    expect(last(events).event).toBe('response.failed')
    const record = emu.requests.find((r) => r.behaviour === 'failed_event')
    expect(record?.path).toBe('/backend-api/codex/responses')
    const t = emu.issueTokens()
    const models = await fetch(`${emu.backendUrl}/models?client_version=0.146.0`, {
      headers: { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id },
    })
    expect(models.status).toBe(500)
  })

  it('route any applies to the next request the kind can run on', async () => {
    emu.script({ kind: 'overload_in_stream', route: 'any' })
    const t = emu.issueTokens()
    const usage = await fetch(`${emu.url}/backend-api/wham/usage`, {
      headers: { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id },
    })
    expect(usage.status).toBe(200)
    const events = await stream(codexBody())
    expect(last(events).event).toBe('error')
  })

  it('script() rejects unknown kinds and bad fields with emulator_invalid_behaviour', () => {
    expect(() => emu.script({ kind: 'nope' } as never)).toThrowError(/unknown kind/)
    expect(() => emu.script({ kind: 'cut_mid_stream' } as never)).toThrowError(/afterEvents/)
    expect(() => emu.script({ kind: 'http_error', status: 99 })).toThrowError(/status/)
    expect(() => emu.script({ kind: 'reply', output: { text: 'x' }, route: 'token' })).toThrowError(
      /cannot run/,
    )
    try {
      emu.script({ kind: 'delay', ms: -1 })
    } catch (error) {
      expect((error as { code: string }).code).toBe('emulator_invalid_behaviour')
    }
  })
})

describe('pacing', () => {
  it('gapMs spaces events and ttftMs delays the first one', async () => {
    const e = await createUpstreamEmulator({ gapMs: 20, ttftMs: 100, events: 5 })
    try {
      const started = Date.now()
      const res = await postResponses(e, codexBody())
      const headersAt = Date.now() - started
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const decoder = new TextDecoder()
      let text = ''
      let firstAt = 0
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (firstAt === 0) firstAt = Date.now() - started
        text += decoder.decode(value)
      }
      const total = Date.now() - started
      const events = parseSse(text)
      expect(events.filter((x) => x.event === 'response.output_text.delta')).toHaveLength(5)
      expect(headersAt).toBeLessThan(firstAt)
      expect(firstAt).toBeGreaterThanOrEqual(95)
      // (events - 1) gaps of 20 ms after the first event
      expect(total).toBeGreaterThanOrEqual(100 + (events.length - 1) * 20 - 10)
    } finally {
      await e.close()
    }
  })

  it('a pace behaviour overrides the options for one request', async () => {
    emu.script({ kind: 'pace', events: 3, gapMs: 5, ttftMs: 30 })
    const started = Date.now()
    const events = await stream(codexBody())
    expect(Date.now() - started).toBeGreaterThanOrEqual(30)
    expect(events.filter((x) => x.event === 'response.output_text.delta')).toHaveLength(3)
    const next = await stream(codexBody())
    expect(next.filter((x) => x.event === 'response.output_text.delta')).toHaveLength(
      DEFAULT_TEXT.split(' ').length,
    )
  })
})

describe('recording and client disconnects', () => {
  it('records method, path, query, lower-case headers, parsed body and timestamps', async () => {
    const res = await postResponses(emu, codexBody({ prompt_cache_key: 'abc' }), {
      Session_Id: 'abc',
      originator: 'codex_cli_rs',
    })
    await res.text()
    const record = await emu.waitFor((r) => r.route === 'responses' && r.completedAt !== undefined)
    expect(record).toMatchObject({
      method: 'POST',
      path: '/backend-api/codex/responses',
      query: {},
      status: 200,
      outcome: 'completed',
    })
    expect(record.headers.session_id).toBe('abc')
    expect(record.headers.originator).toBe('codex_cli_rs')
    expect(record.headers['chatgpt-account-id']).toBe('acct_emulator')
    expect((record.body as Record<string, unknown>).prompt_cache_key).toBe('abc')
    expect(record.receivedAt).toBeLessThanOrEqual(record.completedAt as number)
    expect(record.requestId).toBe(res.headers.get('x-request-id'))
  })

  it('records abortedAt, before the stream could end, when the client disconnects mid-stream', async () => {
    const e = await createUpstreamEmulator({ gapMs: 50, events: 200 })
    try {
      const controller = new AbortController()
      const res = await postResponses(e, codexBody(), {}, { signal: controller.signal })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      expect(e.stats().inFlight).toBe(1)
      const abortedAt = Date.now()
      controller.abort()
      // Order, not a stopwatch: recorded after the client's abort and before the 10 s stream ended.
      const record = await e.waitFor((r) => r.abortedAt !== undefined, 10_000)
      expect(record.abortedAt).toBeGreaterThanOrEqual(abortedAt)
      expect(record.outcome).toBe('aborted')
      expect(record.completedAt).toBeUndefined()
      expect(e.stats()).toEqual({ inFlight: 0, completed: 0, aborted: 1 })
    } finally {
      await e.close()
    }
  })

  it('counts a disconnect during a ttft wait as an abort', async () => {
    const e = await createUpstreamEmulator({ ttftMs: 5000 })
    try {
      const t = e.issueTokens()
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${e.backendUrl}/responses`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${t.access_token}`,
            'chatgpt-account-id': t.account_id,
            'content-type': 'application/json',
          },
        })
        req.on('response', () => {
          req.destroy()
          resolve()
        })
        req.on('error', () => {})
        req.end(JSON.stringify(codexBody()))
      })
      const record = await e.waitFor((r) => r.outcome === 'aborted', 10_000)
      expect(record.route).toBe('responses')
    } finally {
      await e.close()
    }
  })

  it('holds 300 concurrent streams and completes them all', async () => {
    const e = await createUpstreamEmulator({ gapMs: 10, events: 10 })
    try {
      const n = 300
      const results = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await postResponses(
            e,
            codexBody({ input: userInput(`Reply with exactly: stream ${i}`) }),
          )
          const events = parseSse(await res.text())
          return {
            status: res.status,
            last: last(events).event,
            text: completedResponse(events).output[0]?.content[0].text,
          }
        }),
      )
      expect(results.every((r) => r.status === 200 && r.last === 'response.completed')).toBe(true)
      expect(results.map((r) => r.text)).toEqual(Array.from({ length: n }, (_, i) => `stream ${i}`))
      expect(e.stats()).toMatchObject({ inFlight: 0, completed: n, aborted: 0 })
    } finally {
      await e.close()
    }
  })
})

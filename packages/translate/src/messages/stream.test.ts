import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ResponsesEvent } from '../types'
import { context, grammarViolation, push, sdkFinalMessage } from './_test-helpers'
import { anthropicEvents, toAnthropicSse } from './events'
import { messagesStreamTranslator } from './stream'
import type { AnthropicStreamEvent } from './types'

function fixture(name: string): ResponsesEvent[] {
  return JSON.parse(readFileSync(new URL(`../__fixtures__/${name}.json`, import.meta.url), 'utf8'))
}

/** A compact view: `event[index]` plus the delta or stop data. */
function view(events: AnthropicStreamEvent[]): string[] {
  return events.map((e) => {
    switch (e.event) {
      case 'content_block_start':
        return `start ${e.data.index} ${e.data.content_block.type}`
      case 'content_block_delta':
        return `delta ${e.data.index} ${JSON.stringify(e.data.delta)}`
      case 'content_block_stop':
        return `stop ${e.data.index}`
      case 'message_delta':
        return `message_delta ${e.data.delta.stop_reason} ${e.data.delta.stop_sequence}`
      case 'error':
        return `error ${e.data.error.type}: ${e.data.error.message}`
      default:
        return e.event
    }
  })
}

const created: ResponsesEvent = { type: 'response.created', response: { id: 'resp_abc', output: [] } }
const completed = (usage: object = {}): ResponsesEvent => ({
  type: 'response.completed',
  response: { id: 'resp_abc', status: 'completed', output: [], usage },
})
const text = (delta: string, item = 'msg_1', index = 0): ResponsesEvent => ({
  type: 'response.output_text.delta',
  item_id: item,
  output_index: index,
  delta,
})
const itemDone = (item: object, index: number): ResponsesEvent => ({
  type: 'response.output_item.done',
  output_index: index,
  item,
})

describe('messagesStreamTranslator', () => {
  it('streams text: message_start with the estimate, one text block, message_delta, message_stop', () => {
    const out = push(fixture('plain-text'), messagesStreamTranslator(context(), { inputTokens: 1234 }))
    expect(view(out)).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 {"type":"text_delta","text":"Hel"}',
      'delta 0 {"type":"text_delta","text":"lo"}',
      'delta 0 {"type":"text_delta","text":", world!"}',
      'stop 0',
      'message_delta end_turn null',
      'message_stop',
    ])
    const start = out[0] as Extract<AnthropicStreamEvent, { event: 'message_start' }>
    expect(start.data.message).toEqual({
      id: 'msg_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-opus-4-8',
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 1234,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    })
  })

  it('reports usage with input_tokens uncached and cache_read_input_tokens cached', () => {
    const out = push(
      [
        created,
        text('hi'),
        completed({ input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 7 }),
      ],
      messagesStreamTranslator(context()),
    )
    const delta = out.find((e) => e.event === 'message_delta')
    expect(delta?.data).toMatchObject({
      usage: {
        input_tokens: 40,
        cache_read_input_tokens: 60,
        cache_creation_input_tokens: 0,
        output_tokens: 7,
      },
    })
  })

  it('turns reasoning summaries into a thinking block whose signature carries the encrypted reasoning', () => {
    const out = push(fixture('reasoning-summary'), messagesStreamTranslator(context()))
    expect(view(out)).toEqual([
      'message_start',
      'start 0 thinking',
      'delta 0 {"type":"thinking_delta","thinking":"**Planning**\\n\\n"}',
      'delta 0 {"type":"thinking_delta","thinking":"Adding the two numbers."}',
      'delta 0 {"type":"thinking_delta","thinking":"\\n\\nChecking "}',
      'delta 0 {"type":"thinking_delta","thinking":"the result."}',
      'delta 0 {"type":"signature_delta","signature":"airelays.rs1.Z3B0LTUuNQ.gAAAAABpZ2VuY3J5cHRlZC1yZWFzb25pbmctYmxvYg=="}',
      'stop 0',
      'start 1 text',
      'delta 1 {"type":"text_delta","text":"2 + 2 = "}',
      'delta 1 {"type":"text_delta","text":"4"}',
      'stop 1',
      'message_delta end_turn null',
      'message_stop',
    ])
  })

  it('sends no thinking blocks when the client did not ask for thinking', () => {
    const out = push(fixture('reasoning-summary'), messagesStreamTranslator(context({ thinking: false })))
    expect(view(out).filter((line) => line.startsWith('start'))).toEqual(['start 0 text'])
  })

  it('streams tool calls as tool_use blocks with input_json_delta and ends with tool_use', async () => {
    const out = push(fixture('parallel-tool-calls'), messagesStreamTranslator(context()))
    expect(grammarViolation(out)).toBeNull()
    const starts = out.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block)
    expect(starts).toEqual([
      { type: 'tool_use', id: 'call_Wx7Q2mJc9LkP', name: 'get_weather', input: {} },
      { type: 'tool_use', id: 'call_Tm3R8nHd1VbZ', name: 'get_time', input: {} },
    ])
    const message = await sdkFinalMessage(out)
    expect(message.stop_reason).toBe('tool_use')
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_Wx7Q2mJc9LkP', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_Tm3R8nHd1VbZ', name: 'get_time', input: { tz: 'Europe/Paris' } },
    ])
  })

  it('maps shortened tool names back', () => {
    const events: ResponsesEvent[] = [
      created,
      itemDone({ type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'short_x', arguments: '{}' }, 0),
      completed(),
    ]
    const out = push(
      events,
      messagesStreamTranslator(context({ toolNameMap: { short_x: 'a_very_long_name' } })),
    )
    expect(out.find((e) => e.event === 'content_block_start')?.data).toMatchObject({
      content_block: { type: 'tool_use', id: 'call_1', name: 'a_very_long_name' },
    })
  })

  it('keeps blocks sequential when upstream items interleave', () => {
    const events: ResponsesEvent[] = [
      created,
      { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_a' } },
      text('A1', 'msg_a', 0),
      {
        type: 'response.output_item.added',
        output_index: 1,
        item: { type: 'function_call', id: 'fc_b', call_id: 'call_b', name: 'f' },
      },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_b', output_index: 1, delta: '{"x":' },
      text('A2', 'msg_a', 0),
      { type: 'response.function_call_arguments.delta', item_id: 'fc_b', output_index: 1, delta: '1}' },
      itemDone({ type: 'message', id: 'msg_a', content: [{ type: 'output_text', text: 'A1A2' }] }, 0),
      itemDone({ type: 'function_call', id: 'fc_b', call_id: 'call_b', name: 'f', arguments: '{"x":1}' }, 1),
      completed(),
    ]
    expect(view(push(events, messagesStreamTranslator(context())))).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 {"type":"text_delta","text":"A1"}',
      'delta 0 {"type":"text_delta","text":"A2"}',
      'stop 0',
      'start 1 tool_use',
      'delta 1 {"type":"input_json_delta","partial_json":"{\\"x\\":1}"}',
      'stop 1',
      'message_delta tool_use null',
      'message_stop',
    ])
  })

  it('honours stop_sequences across deltas: text stops before the match, stop_reason stop_sequence', async () => {
    const translator = messagesStreamTranslator(context({ stopSequences: ['END'] }))
    const out = [
      ...translator.push(created),
      ...translator.push(text('one two E')),
      ...translator.push(text('N')),
    ]
    expect(translator.finished).toBe(false)
    out.push(...translator.push(text('D three')))
    expect(translator.finished).toBe(true)
    expect(translator.push(text('more'))).toEqual([])
    expect(view(out)).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 {"type":"text_delta","text":"one two "}',
      'stop 0',
      'message_delta stop_sequence END',
      'message_stop',
    ])
    const message = await sdkFinalMessage(out)
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' })
    expect(message.content).toEqual([{ type: 'text', text: 'one two ' }])
  })

  it('releases held-back text that did not become a stop sequence', () => {
    const out = push(
      [created, text('ab E'), text('x'), text('yz E'), completed()],
      messagesStreamTranslator(context({ stopSequences: ['END'] })),
    )
    const texts = out.flatMap((e) =>
      e.event === 'content_block_delta' && e.data.delta.type === 'text_delta' ? [e.data.delta.text] : [],
    )
    expect(texts.join('')).toBe('ab Exyz E')
    expect(out.find((e) => e.event === 'message_delta')?.data).toMatchObject({
      delta: { stop_reason: 'end_turn' },
    })
  })

  it('maps an incomplete response to max_tokens, and content_filter to refusal', () => {
    expect(
      view(push(fixture('incomplete-max-output-tokens'), messagesStreamTranslator(context()))),
    ).toContain('message_delta max_tokens null')
    expect(view(push(fixture('incomplete-content-filter'), messagesStreamTranslator(context())))).toContain(
      'message_delta refusal null',
    )
  })

  it('ends failures with one error event: api_error, overloaded_error, rate_limit_error', () => {
    expect(view(push(fixture('failed'), messagesStreamTranslator(context()))).at(-1)).toBe(
      'error api_error: An error occurred while processing your request.',
    )
    expect(view(push(fixture('in-stream-overload'), messagesStreamTranslator(context()))).at(-1)).toMatch(
      /^error overloaded_error: /,
    )
    const quota = push(
      [created, { type: 'error', code: 'usage_limit_reached', message: 'The usage limit has been reached' }],
      messagesStreamTranslator(context()),
    )
    expect(view(quota)).toEqual(['message_start', 'error rate_limit_error: The usage limit has been reached'])
    const overflow = push(
      [
        {
          type: 'response.failed',
          response: {
            id: 'r',
            output: [],
            error: {
              code: 'context_length_exceeded',
              message: 'Your input exceeds the context window of this model.',
            },
          },
        },
      ],
      messagesStreamTranslator(context()),
    )
    expect(view(overflow)).toEqual([
      'error invalid_request_error: prompt is too long: Your input exceeds the context window of this model.',
    ])
  })

  it('ends an early end and a source failure with an api_error', () => {
    const translator = messagesStreamTranslator(context())
    expect(view(push(fixture('premature-end'), translator)).at(-1)).toBe(
      'error api_error: Upstream stream ended before response.completed.',
    )
    expect(translator.end()).toEqual([])
    const failing = messagesStreamTranslator(context())
    failing.push(created)
    expect(view(failing.fail(new Error('socket hang up')))).toEqual([
      'error api_error: The upstream stream failed unexpectedly.',
    ])
    expect(failing.fail(new Error('again'))).toEqual([])
  })

  it('every fixture that completes is accepted by the SDK MessageStream', async () => {
    for (const name of [
      'plain-text',
      'reasoning-summary',
      'parallel-tool-calls',
      'tool-call-done-only',
      'empty-completed-output',
      'refusal',
      'commentary-phase',
      'json-schema-answer',
    ]) {
      const out = push(fixture(name), messagesStreamTranslator(context(), { inputTokens: 5 }))
      expect(grammarViolation(out), name).toBeNull()
      const message = await sdkFinalMessage(out)
      expect(message.role, name).toBe('assistant')
    }
  })

  it('surfaces an error event as the SDK APIError', async () => {
    const out = push(fixture('in-stream-overload'), messagesStreamTranslator(context()))
    await expect(sdkFinalMessage(out)).rejects.toMatchObject({ type: 'overloaded_error' })
  })
})

describe('anthropicEvents', () => {
  it('is the async-iterable form and stops reading at the end of the message', async () => {
    let read = 0
    function* source(): Generator<ResponsesEvent> {
      for (const event of [created, text('hi'), completed(), text('never')]) {
        read += 1
        yield event
      }
    }
    const out: AnthropicStreamEvent[] = []
    for await (const event of anthropicEvents(source(), context())) out.push(event)
    expect(out.at(-1)?.event).toBe('message_stop')
    expect(read).toBe(3)
  })

  it('turns a throwing source into one error event', async () => {
    async function* source(): AsyncGenerator<ResponsesEvent> {
      yield created
      throw Object.assign(new Error('cut'), { code: 'stream_incomplete' })
    }
    const out: AnthropicStreamEvent[] = []
    for await (const event of anthropicEvents(source(), context())) out.push(event)
    expect(view(out)).toEqual([
      'message_start',
      'error api_error: Upstream stream ended before response.completed.',
    ])
  })
})

describe('toAnthropicSse', () => {
  it('writes an event line, a data line and a blank line', () => {
    expect(toAnthropicSse({ event: 'message_stop', data: { type: 'message_stop' } })).toBe(
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    )
    expect(toAnthropicSse({ event: 'ping', data: { type: 'ping' } })).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n',
    )
  })
})

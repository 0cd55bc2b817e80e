import { describe, expect, it } from 'vitest'
import commentaryPhase from './__fixtures__/commentary-phase.json'
import emptyCompletedOutput from './__fixtures__/empty-completed-output.json'
import failed from './__fixtures__/failed.json'
import inStreamError from './__fixtures__/in-stream-error.json'
import inStreamOverload from './__fixtures__/in-stream-overload.json'
import incompleteContentFilter from './__fixtures__/incomplete-content-filter.json'
import incompleteMaxTokens from './__fixtures__/incomplete-max-output-tokens.json'
import jsonSchemaAnswer from './__fixtures__/json-schema-answer.json'
import parallelToolCalls from './__fixtures__/parallel-tool-calls.json'
import plainText from './__fixtures__/plain-text.json'
import prematureEnd from './__fixtures__/premature-end.json'
import reasoningSummary from './__fixtures__/reasoning-summary.json'
import refusal from './__fixtures__/refusal.json'
import toolCallDoneOnly from './__fixtures__/tool-call-done-only.json'
import type {
  ChatCompletionChunk,
  ResponsesEvent,
  StreamItem,
  TextCompletion,
  TranslationContext,
} from './index'
import { chatChunks, chatStreamTranslator, completionChunks, completionStreamTranslator } from './index'

const context = (over: Partial<TranslationContext> = {}): TranslationContext => ({
  route: 'chat',
  model: 'gpt-5.5',
  stream: true,
  includeUsage: false,
  toolNameMap: {},
  now: () => 1_700_000_000_123,
  newId: () => 'abc123',
  ...over,
})

async function collect<T>(source: AsyncIterable<StreamItem<T>>): Promise<StreamItem<T>[]> {
  const items: StreamItem<T>[] = []
  for await (const item of source) items.push(item)
  return items
}

const chat = (events: ResponsesEvent[], over?: Partial<TranslationContext>) =>
  collect(chatChunks(events, context(over)))

function chunks(items: StreamItem<ChatCompletionChunk>[]): ChatCompletionChunk[] {
  return items.flatMap((item) => (item.kind === 'chunk' ? [item.data] : []))
}

function deltas(items: StreamItem<ChatCompletionChunk>[]) {
  return chunks(items).map((chunk) => chunk.choices[0]?.delta)
}

function field(
  items: StreamItem<ChatCompletionChunk>[],
  key: 'content' | 'reasoning_content' | 'refusal',
): string {
  return deltas(items)
    .map((delta) => delta?.[key] ?? '')
    .join('')
}

function finishReasons(items: StreamItem<ChatCompletionChunk>[]) {
  return chunks(items)
    .map((chunk) => chunk.choices[0]?.finish_reason)
    .filter((reason) => reason !== null && reason !== undefined)
}

/** Items, as `kind` + short description, for readable snapshots. */
function outline(items: StreamItem<unknown>[]): string[] {
  return items.map((item) => (item.kind === 'done' ? 'done' : `${item.kind} ${JSON.stringify(item.data)}`))
}

async function* slowly(events: ResponsesEvent[]): AsyncGenerator<ResponsesEvent> {
  for (const event of events) {
    await new Promise((resolve) => setImmediate(resolve))
    yield event
  }
}

describe('chatChunks', () => {
  it('streams plain text with identity from response.created, role on the first chunk, one finish, [DONE]', async () => {
    const items = await chat(plainText)
    expect(outline(items)).toMatchInlineSnapshot(`
      [
        "chunk {"id":"chatcmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"chat.completion.chunk","created":1795000000,"model":"gpt-5.5","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"chatcmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"chat.completion.chunk","created":1795000000,"model":"gpt-5.5","choices":[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"chatcmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"chat.completion.chunk","created":1795000000,"model":"gpt-5.5","choices":[{"index":0,"delta":{"content":", world!"},"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"chatcmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"chat.completion.chunk","created":1795000000,"model":"gpt-5.5","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}",
        "done",
      ]
    `)
  })

  it('accepts async sources exactly like arrays', async () => {
    expect(await collect(chatChunks(slowly(plainText), context()))).toEqual(await chat(plainText))
  })

  it('uses the defaults before response.created (chatcmpl-<id>, the clock, the requested model)', async () => {
    const items = await chat(plainText.slice(2), { model: 'requested-model' })
    const first = chunks(items)[0]
    expect(first).toMatchObject({ id: 'chatcmpl-abc123', created: 1_700_000_000, model: 'requested-model' })
  })

  it('concatenates a commentary phase and the final answer in order, separated by a blank line', async () => {
    const items = await chat(commentaryPhase)
    expect(field(items, 'content')).toBe('Let me check the numbers.\n\nThe total is 42.')
    expect(finishReasons(items)).toEqual(['stop'])
  })

  it('streams reasoning summaries as reasoning_content before the answer', async () => {
    const items = await chat(reasoningSummary)
    expect(field(items, 'reasoning_content')).toBe(
      '**Planning**\n\nAdding the two numbers.\n\nChecking the result.',
    )
    expect(field(items, 'content')).toBe('2 + 2 = 4')
    const kinds = deltas(items).map((d) => Object.keys(d ?? {}).filter((k) => k !== 'role')[0] ?? 'finish')
    expect(kinds).toEqual([
      'reasoning_content',
      'reasoning_content',
      'reasoning_content',
      'reasoning_content',
      'content',
      'content',
      'finish',
    ])
    expect(deltas(items)[0]?.role).toBe('assistant')
  })

  it('streams parallel tool calls incrementally and finishes with tool_calls', async () => {
    const items = await chat(parallelToolCalls)
    expect(deltas(items)).toMatchInlineSnapshot(`
      [
        {
          "content": "",
          "role": "assistant",
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "",
                "name": "get_weather",
              },
              "id": "call_Wx7Q2mJc9LkP",
              "index": 0,
              "type": "function",
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "{"ci",
              },
              "index": 0,
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "ty":"Par",
              },
              "index": 0,
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "is"}",
              },
              "index": 0,
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "",
                "name": "get_time",
              },
              "id": "call_Tm3R8nHd1VbZ",
              "index": 1,
              "type": "function",
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": "{"tz":",
              },
              "index": 1,
            },
          ],
        },
        {
          "tool_calls": [
            {
              "function": {
                "arguments": ""Europe/Paris"}",
              },
              "index": 1,
            },
          ],
        },
        {},
      ]
    `)
    expect(items.at(-1)).toEqual({ kind: 'done' })
  })

  it('maps shortened tool names back', async () => {
    const short = 'get_weather'
    const items = await chat(parallelToolCalls, { toolNameMap: { [short]: 'x'.repeat(70) } })
    const names = deltas(items)
      .flatMap((d) => d?.tool_calls ?? [])
      .flatMap((c) => (c.function.name ? [c.function.name] : []))
    expect(names).toEqual(['x'.repeat(70), 'get_time'])
  })

  it('sends a tool call whole when it appears only at output_item.done', async () => {
    const items = await chat(toolCallDoneOnly)
    expect(deltas(items)).toEqual([
      // A tool-only stream opens with a role chunk of its own.
      { role: 'assistant', content: '' },
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_Do9',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      {},
    ])
    expect(finishReasons(items)).toEqual(['tool_calls'])
  })

  it('sends arguments from function_call_arguments.done when no delta came', async () => {
    const events = parallelToolCalls.filter((e) => e.type !== 'response.function_call_arguments.delta')
    const items = await chat(events)
    const calls = deltas(items).flatMap((d) => d?.tool_calls ?? [])
    expect(calls).toEqual([
      {
        index: 0,
        id: 'call_Wx7Q2mJc9LkP',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
      { index: 0, function: { arguments: '{"city":"Paris"}' } },
      { index: 1, id: 'call_Tm3R8nHd1VbZ', type: 'function', function: { name: 'get_time', arguments: '' } },
      { index: 1, function: { arguments: '{"tz":"Europe/Paris"}' } },
    ])
  })

  it('streams refusals as delta.refusal', async () => {
    const items = await chat(refusal)
    expect(field(items, 'refusal')).toBe("I'm sorry, I can't help with that.")
    expect(field(items, 'content')).toBe('')
    expect(finishReasons(items)).toEqual(['stop'])
  })

  it('streams a json_schema answer as plain content', async () => {
    const items = await chat(jsonSchemaAnswer)
    expect(JSON.parse(field(items, 'content'))).toEqual({ name: 'Ada', email: null, tags: ['math'] })
  })

  it('finishes an incomplete response with length, or content_filter, then [DONE]', async () => {
    const length = await chat(incompleteMaxTokens)
    expect(field(length, 'content')).toBe('Once upon a time')
    expect(finishReasons(length)).toEqual(['length'])
    expect(length.at(-1)).toEqual({ kind: 'done' })
    expect(finishReasons(await chat(incompleteContentFilter))).toEqual(['content_filter'])
  })

  it('adds a usage chunk after the finish chunk when include_usage is set', async () => {
    const items = await chat(reasoningSummary, { includeUsage: true })
    expect(
      chunks(items)
        .slice(0, -1)
        .every((chunk) => chunk.usage === null),
    ).toBe(true)
    expect(items.at(-2)).toMatchInlineSnapshot(`
      {
        "data": {
          "choices": [],
          "created": 1795000000,
          "id": "chatcmpl-re4soning0000000000000000000001",
          "model": "gpt-5.5",
          "object": "chat.completion.chunk",
          "usage": {
            "completion_tokens": 210,
            "completion_tokens_details": {
              "reasoning_tokens": 192,
            },
            "prompt_tokens": 40,
            "prompt_tokens_details": {
              "cached_tokens": 0,
            },
            "total_tokens": 250,
          },
        },
        "kind": "chunk",
      }
    `)
    expect(items.at(-1)).toEqual({ kind: 'done' })
    expect(chunks(await chat(reasoningSummary)).every((chunk) => !('usage' in chunk))).toBe(true)
  })

  it('turns response.failed into one error item without [DONE]', async () => {
    const items = await chat(failed)
    expect(outline(items)).toMatchInlineSnapshot(`
      [
        "error {"error":{"message":"An error occurred while processing your request.","type":"server_error","param":null,"code":"server_error"}}",
      ]
    `)
    expect(items.at(-1)).toMatchObject({ upstreamError: { code: 'server_error' } })
  })

  it('turns Codex-style and standard in-stream error events into error items', async () => {
    const usage = await chat(inStreamError)
    expect(outline(usage)).toMatchInlineSnapshot(`
      [
        "chunk {"id":"chatcmpl-instreamerr000000000000000001","object":"chat.completion.chunk","created":1795000000,"model":"gpt-5.5","choices":[{"index":0,"delta":{"role":"assistant","content":"Partial"},"logprobs":null,"finish_reason":null}]}",
        "error {"error":{"message":"The usage limit has been reached","type":"usage_limit_reached","param":null,"code":"usage_limit_reached"}}",
      ]
    `)
    const overload = await chat(inStreamOverload)
    expect(outline(overload)).toMatchInlineSnapshot(`
      [
        "error {"error":{"message":"Our servers are currently overloaded. Please try again later.","type":"server_is_overloaded","param":null,"code":"server_is_overloaded"}}",
      ]
    `)
  })

  it('ends a stream without a terminal event with incomplete_stream', async () => {
    const items = await chat(prematureEnd)
    expect(items.at(-1)).toEqual({
      kind: 'error',
      data: {
        error: {
          message: 'Upstream stream ended before response.completed.',
          type: 'upstream_error',
          param: null,
          code: 'incomplete_stream',
        },
      },
    })
    expect(items.filter((item) => item.kind === 'done')).toEqual([])
  })

  it('turns an exception of the source into an error item', async () => {
    async function* throwing(error: unknown): AsyncGenerator<ResponsesEvent> {
      yield* plainText.slice(0, 4)
      throw error
    }
    const upstreamError = { type: 'usage_limit_reached', message: 'The usage limit has been reached' }
    const coded = Object.assign(new Error('quota'), { code: 'usage_limit', upstreamError })
    expect((await collect(chatChunks(throwing(coded), context()))).at(-1)).toEqual({
      kind: 'error',
      data: {
        error: {
          message: 'The usage limit has been reached',
          type: 'usage_limit_reached',
          param: null,
          code: 'usage_limit_reached',
        },
      },
      upstreamError,
    })
    const plain = Object.assign(new Error('socket hang up'), { code: 'stream_failed' })
    expect((await collect(chatChunks(throwing(plain), context()))).at(-1)).toEqual({
      kind: 'error',
      data: {
        error: { message: 'socket hang up', type: 'stream_failed', param: null, code: 'stream_failed' },
      },
    })
    const incomplete = Object.assign(new Error('closed early'), { code: 'stream_incomplete' })
    expect((await collect(chatChunks(throwing(incomplete), context()))).at(-1)).toMatchObject({
      data: {
        error: { code: 'incomplete_stream', message: 'Upstream stream ended before response.completed.' },
      },
    })
    expect((await collect(chatChunks(throwing(new TypeError('bug')), context()))).at(-1)).toEqual({
      kind: 'error',
      data: {
        error: {
          message: 'The upstream stream failed unexpectedly.',
          type: 'upstream_error',
          param: null,
          code: 'upstream_error',
        },
      },
    })
  })

  it('stops reading the source at the terminal event', async () => {
    let returned = false
    let extraRead = false
    async function* source(): AsyncGenerator<ResponsesEvent> {
      try {
        yield* plainText
        extraRead = true
        yield { type: 'response.output_text.delta', delta: 'late' }
      } finally {
        returned = true
      }
    }
    const items = await collect(chatChunks(source(), context()))
    expect(items.at(-1)).toEqual({ kind: 'done' })
    expect(extraRead).toBe(false)
    expect(returned).toBe(true)
  })

  it('releases the source when the consumer stops early', async () => {
    let returned = false
    async function* source(): AsyncGenerator<ResponsesEvent> {
      try {
        yield* plainText
      } finally {
        returned = true
      }
    }
    for await (const item of chatChunks(source(), context())) {
      if (item.kind === 'chunk') break
    }
    expect(returned).toBe(true)
  })

  it('emits exactly one finish_reason for every fixture that completes', async () => {
    for (const events of [
      plainText,
      commentaryPhase,
      reasoningSummary,
      parallelToolCalls,
      refusal,
      emptyCompletedOutput,
    ]) {
      expect(finishReasons(await chat(events))).toHaveLength(1)
    }
  })

  it('skips events that are not objects and unknown event types', async () => {
    const noisy = [null, 'x', { type: 'codex.rate_limits' }, ...plainText] as unknown as ResponsesEvent[]
    expect(await chat(noisy)).toEqual(await chat(plainText))
  })
})

describe('completionChunks', () => {
  const completions = (events: ResponsesEvent[], over?: Partial<TranslationContext>) =>
    collect(completionChunks(events, context({ route: 'completions', ...over })))
  const texts = (items: StreamItem<TextCompletion>[]) =>
    items.flatMap((item) => (item.kind === 'chunk' ? item.data.choices.map((c) => c.text) : []))

  it('streams text_completion chunks and a terminal chunk with finish_reason stop', async () => {
    const items = await completions(plainText)
    expect(outline(items)).toMatchInlineSnapshot(`
      [
        "chunk {"id":"cmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"text_completion","created":1795000000,"model":"gpt-5.5","choices":[{"text":"Hel","index":0,"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"cmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"text_completion","created":1795000000,"model":"gpt-5.5","choices":[{"text":"lo","index":0,"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"cmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"text_completion","created":1795000000,"model":"gpt-5.5","choices":[{"text":", world!","index":0,"logprobs":null,"finish_reason":null}]}",
        "chunk {"id":"cmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9","object":"text_completion","created":1795000000,"model":"gpt-5.5","choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}",
        "done",
      ]
    `)
  })

  it('defaults the id to cmpl-<id> before response.created', async () => {
    const items = await completions(plainText.slice(2))
    expect(items[0]).toMatchObject({ kind: 'chunk', data: { id: 'cmpl-abc123', created: 1_700_000_000 } })
  })

  it('finishes incomplete responses with length and appends usage when asked', async () => {
    const items = await completions(incompleteMaxTokens, { includeUsage: true })
    expect(texts(items)).toEqual(['Once upon ', 'a time', ''])
    expect(items.at(-2)).toMatchObject({
      kind: 'chunk',
      data: {
        object: 'text_completion',
        choices: [],
        usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
      },
    })
    const finish = items.flatMap((item) => (item.kind === 'chunk' ? item.data.choices : [])).at(-1)
    expect(finish?.finish_reason).toBe('length')
  })

  it('ends with an error item on failures and premature ends', async () => {
    expect((await completions(failed)).at(-1)).toMatchObject({
      kind: 'error',
      data: { error: { code: 'server_error' } },
    })
    expect((await completions(inStreamError)).at(-1)).toMatchObject({
      kind: 'error',
      data: { error: { code: 'usage_limit_reached' } },
    })
    expect((await completions(prematureEnd)).at(-1)).toMatchObject({
      kind: 'error',
      data: { error: { code: 'incomplete_stream' } },
    })
  })
})

describe('chatStreamTranslator / completionStreamTranslator', () => {
  const fixtures: Record<string, ResponsesEvent[]> = {
    commentaryPhase,
    emptyCompletedOutput,
    failed,
    inStreamError,
    inStreamOverload,
    incompleteContentFilter,
    incompleteMaxTokens,
    jsonSchemaAnswer,
    parallelToolCalls,
    plainText,
    prematureEnd,
    reasoningSummary,
    refusal,
    toolCallDoneOnly,
  }

  function pushAll<T>(
    translator: { push(e: ResponsesEvent): StreamItem<T>[]; end(): StreamItem<T>[]; finished: boolean },
    events: ResponsesEvent[],
  ): StreamItem<T>[] {
    const items: StreamItem<T>[] = []
    for (const event of events) {
      items.push(...translator.push(event))
      if (translator.finished) break
    }
    items.push(...translator.end())
    return items
  }

  it('gives, event by event, exactly the items of the async form for every fixture', async () => {
    for (const [name, events] of Object.entries(fixtures)) {
      for (const includeUsage of [false, true]) {
        const over = { includeUsage, toolNameMap: { short_name: 'a.very.long.tool.name' } }
        expect(pushAll(chatStreamTranslator(context(over)), events), name).toEqual(
          await collect(chatChunks(events, context(over))),
        )
        expect(pushAll(completionStreamTranslator(context(over)), events), name).toEqual(
          await collect(completionChunks(events, context(over))),
        )
      }
    }
  })

  it('is finished after the terminal event and ignores whatever follows', () => {
    const translator = chatStreamTranslator(context())
    const completed = plainText.findIndex((event) => event.type === 'response.completed')
    for (const event of plainText.slice(0, completed)) translator.push(event)
    expect(translator.finished).toBe(false)
    expect(translator.push(plainText[completed] as ResponsesEvent).at(-1)).toEqual({ kind: 'done' })
    expect(translator.finished).toBe(true)
    expect(translator.push(plainText[1] as ResponsesEvent)).toEqual([])
    expect(translator.end()).toEqual([])
    expect(translator.fail(new Error('late'))).toEqual([])
  })

  it('answers a failure of the source with one error item, then nothing more', () => {
    const translator = completionStreamTranslator(context())
    translator.push(plainText[0] as ResponsesEvent)
    const items = translator.fail(new TypeError('bug'))
    expect(items).toHaveLength(1)
    expect(items[0]?.kind).toBe('error')
    expect(translator.finished).toBe(true)
    expect(translator.end()).toEqual([])
  })

  it('reports a source that ended early as incomplete_stream', () => {
    const translator = chatStreamTranslator(context())
    expect(translator.end()).toEqual([
      {
        kind: 'error',
        data: {
          error: expect.objectContaining({
            code: 'incomplete_stream',
            message: 'Upstream stream ended before response.completed.',
          }),
        },
      },
    ])
  })
})

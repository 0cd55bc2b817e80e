import { describe, expect, it } from 'vitest'
import commentaryPhase from './__fixtures__/commentary-phase.json'
import emptyCompletedOutput from './__fixtures__/empty-completed-output.json'
import failed from './__fixtures__/failed.json'
import inStreamError from './__fixtures__/in-stream-error.json'
import inStreamOverload from './__fixtures__/in-stream-overload.json'
import incompleteContentFilter from './__fixtures__/incomplete-content-filter.json'
import incompleteMaxTokens from './__fixtures__/incomplete-max-output-tokens.json'
import parallelToolCalls from './__fixtures__/parallel-tool-calls.json'
import plainText from './__fixtures__/plain-text.json'
import prematureEnd from './__fixtures__/premature-end.json'
import reasoningSummary from './__fixtures__/reasoning-summary.json'
import refusal from './__fixtures__/refusal.json'
import type { ResponsesEvent, ResponsesObject, TranslationContext } from './index'
import {
  aggregateResponse,
  isTranslateError,
  TranslateError,
  toChatCompletion,
  toChatUsage,
  toTextCompletion,
} from './index'

const context: TranslationContext = {
  route: 'chat',
  model: 'gpt-5.5',
  stream: false,
  includeUsage: false,
  toolNameMap: {},
  now: () => 1_700_000_000_000,
  newId: () => 'fixed',
}

async function rejection(
  events: Iterable<ResponsesEvent> | AsyncIterable<ResponsesEvent>,
): Promise<TranslateError> {
  try {
    await aggregateResponse(events)
  } catch (error) {
    if (isTranslateError(error)) return error
    throw error
  }
  throw new Error('expected aggregateResponse to throw')
}

describe('aggregateResponse', () => {
  it('returns the completed response', async () => {
    const response = await aggregateResponse(plainText)
    expect(response.id).toBe('resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9')
    expect(response.status).toBe('completed')
    expect(response.output).toHaveLength(1)
  })

  it('rebuilds an empty completed output from output_item.done, ordered by output_index', async () => {
    const response = await aggregateResponse(emptyCompletedOutput)
    expect(response.output.map((item) => [item.type, item.id])).toEqual([
      ['reasoning', 'rs_emptyoutput000000000000000001'],
      ['message', 'msg_emptyoutput0000000000000000001'],
      ['function_call', 'fc_emptyoutput000000000000000001'],
    ])
    expect(response.usage).toMatchObject({ input_tokens: 50, output_tokens: 30 })
  })

  it('returns incomplete responses as results', async () => {
    const response = await aggregateResponse(incompleteMaxTokens)
    expect(response.status).toBe('incomplete')
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' })
  })

  it('throws upstream_failed with the upstream error object and the reference status', async () => {
    const failure = await rejection(failed)
    expect(failure).toBeInstanceOf(TranslateError)
    expect(failure.code).toBe('upstream_failed')
    expect(failure.status).toBe(502)
    expect(failure.upstreamError).toEqual({
      code: 'server_error',
      message: 'An error occurred while processing your request.',
    })
    expect(failure.toJSON()).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "server_error",
          "message": "An error occurred while processing your request.",
          "param": null,
          "type": "server_error",
        },
      }
    `)

    const quota = await rejection(inStreamError)
    expect(quota.status).toBe(429)
    expect(quota.upstreamError).toMatchObject({ type: 'usage_limit_reached', resets_in_seconds: 3600 })
    expect((await rejection(inStreamOverload)).error.code).toBe('server_is_overloaded')

    const invalid = await rejection([
      {
        type: 'error',
        code: 'context_length_exceeded',
        message: 'Your input exceeds the context window.',
        param: 'input',
      },
    ])
    expect(invalid.status).toBe(400)
    expect(invalid.error).toEqual({
      message: 'Your input exceeds the context window.',
      type: 'context_length_exceeded',
      param: 'input',
      code: 'context_length_exceeded',
    })
  })

  it('throws upstream_empty when no payload arrived and incomplete_stream when no terminal event came', async () => {
    const empty = await rejection([])
    expect([empty.code, empty.status, empty.message]).toEqual([
      'upstream_empty',
      502,
      'Upstream stream ended without a response payload.',
    ])
    const cut = await rejection(prematureEnd)
    expect(cut.toJSON()).toEqual({
      error: {
        message: 'Upstream stream ended before response.completed.',
        type: 'upstream_error',
        param: null,
        code: 'incomplete_stream',
      },
    })
  })

  it('lets errors of the source propagate unchanged', async () => {
    const boom = Object.assign(new Error('upstream down'), { code: 'upstream_unavailable' })
    async function* source(): AsyncGenerator<ResponsesEvent> {
      yield* plainText.slice(0, 3)
      throw boom
    }
    await expect(aggregateResponse(source())).rejects.toBe(boom)
  })

  it('brands errors so copies of the package recognise them', () => {
    const error = new TranslateError('incomplete_stream', 502, {
      message: 'm',
      type: 't',
      param: null,
      code: 'incomplete_stream',
    })
    expect(isTranslateError(error)).toBe(true)
    expect(isTranslateError(new Error('x'))).toBe(false)
    expect(isTranslateError({ code: 'incomplete_stream' })).toBe(false)
    expect(isTranslateError(null)).toBe(false)
  })
})

describe('toChatCompletion', () => {
  it('builds a chat.completion with OpenAI-shaped usage', async () => {
    expect(toChatCompletion(await aggregateResponse(plainText), context)).toMatchInlineSnapshot(`
      {
        "choices": [
          {
            "finish_reason": "stop",
            "index": 0,
            "logprobs": null,
            "message": {
              "content": "Hello, world!",
              "refusal": null,
              "role": "assistant",
            },
          },
        ],
        "created": 1795000000,
        "id": "chatcmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "model": "gpt-5.5",
        "object": "chat.completion",
        "usage": {
          "completion_tokens": 6,
          "completion_tokens_details": {
            "reasoning_tokens": 0,
          },
          "prompt_tokens": 21,
          "prompt_tokens_details": {
            "cached_tokens": 0,
          },
          "total_tokens": 27,
        },
      }
    `)
  })

  it('returns tool calls with mapped names and finish_reason tool_calls', async () => {
    const completion = toChatCompletion(await aggregateResponse(parallelToolCalls), {
      ...context,
      toolNameMap: { get_time: 'a_very_long_original_name' },
    })
    expect(completion.choices[0]).toMatchInlineSnapshot(`
      {
        "finish_reason": "tool_calls",
        "index": 0,
        "logprobs": null,
        "message": {
          "content": null,
          "refusal": null,
          "role": "assistant",
          "tool_calls": [
            {
              "function": {
                "arguments": "{"city":"Paris"}",
                "name": "get_weather",
              },
              "id": "call_Wx7Q2mJc9LkP",
              "type": "function",
            },
            {
              "function": {
                "arguments": "{"tz":"Europe/Paris"}",
                "name": "a_very_long_original_name",
              },
              "id": "call_Tm3R8nHd1VbZ",
              "type": "function",
            },
          ],
        },
      }
    `)
  })

  it('joins message items (commentary included) and exposes reasoning and refusals', async () => {
    expect(
      toChatCompletion(await aggregateResponse(commentaryPhase), context).choices[0]?.message.content,
    ).toBe('Let me check the numbers.\n\nThe total is 42.')
    const reasoned = toChatCompletion(await aggregateResponse(reasoningSummary), context).choices[0]?.message
    expect(reasoned).toEqual({
      role: 'assistant',
      content: '2 + 2 = 4',
      refusal: null,
      reasoning_content: '**Planning**\n\nAdding the two numbers.\n\nChecking the result.',
    })
    const refused = toChatCompletion(await aggregateResponse(refusal), context).choices[0]?.message
    expect(refused).toEqual({
      role: 'assistant',
      content: null,
      refusal: "I'm sorry, I can't help with that.",
    })
  })

  it('agrees with the stream translation on a rebuilt output', async () => {
    const completion = toChatCompletion(await aggregateResponse(emptyCompletedOutput), context)
    expect(completion.choices[0]).toMatchObject({
      message: {
        content: 'Looking it up.',
        reasoning_content: 'Thinking.',
        tool_calls: [
          { id: 'call_Eo1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    })
    expect(completion.usage).toEqual({
      prompt_tokens: 50,
      completion_tokens: 30,
      total_tokens: 80,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 12 },
    })
  })

  it('reports length / content_filter for incomplete responses', async () => {
    expect(
      toChatCompletion(await aggregateResponse(incompleteMaxTokens), context).choices[0]?.finish_reason,
    ).toBe('length')
    expect(
      toChatCompletion(await aggregateResponse(incompleteContentFilter), context).choices[0]?.finish_reason,
    ).toBe('content_filter')
  })

  it('falls back to the context for a response without id, created_at or model', () => {
    const bare: ResponsesObject = { id: undefined as unknown as string, output: [] }
    expect(toChatCompletion(bare, context)).toMatchObject({
      id: 'chatcmpl-fixed',
      created: 1_700_000_000,
      model: 'gpt-5.5',
      choices: [{ message: { content: null }, finish_reason: 'stop' }],
    })
  })
})

describe('toTextCompletion', () => {
  it('builds a text_completion', async () => {
    expect(
      toTextCompletion(await aggregateResponse(plainText), { ...context, route: 'completions' }),
    ).toMatchInlineSnapshot(`
      {
        "choices": [
          {
            "finish_reason": "stop",
            "index": 0,
            "logprobs": null,
            "text": "Hello, world!",
          },
        ],
        "created": 1795000000,
        "id": "cmpl-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "model": "gpt-5.5",
        "object": "text_completion",
        "usage": {
          "completion_tokens": 6,
          "completion_tokens_details": {
            "reasoning_tokens": 0,
          },
          "prompt_tokens": 21,
          "prompt_tokens_details": {
            "cached_tokens": 0,
          },
          "total_tokens": 27,
        },
      }
    `)
  })

  it('reports length for incomplete responses', async () => {
    const completion = toTextCompletion(await aggregateResponse(incompleteMaxTokens), context)
    expect(completion.choices[0]).toEqual({
      text: 'Once upon a time',
      index: 0,
      logprobs: null,
      finish_reason: 'length',
    })
  })
})

describe('toChatUsage', () => {
  it('maps Responses usage and fills gaps with zeros', () => {
    expect(toChatUsage(null)).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    })
    expect(toChatUsage({ input_tokens: 7, output_tokens: 5, input_tokens_details: null })).toEqual({
      prompt_tokens: 7,
      completion_tokens: 5,
      total_tokens: 12,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    })
    expect(
      toChatUsage({
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 80 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 15 },
        total_tokens: 120,
      }),
    ).toEqual({
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 80 },
      completion_tokens_details: { reasoning_tokens: 15 },
    })
  })
})

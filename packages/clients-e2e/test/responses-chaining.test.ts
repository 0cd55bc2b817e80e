// Chaining by id through the relay (issue 19): the backend keeps nothing (`store: false`), so the
// relay keeps its recent responses, expands `previous_response_id` into the input and answers
// `GET /v1/responses/{id}`; and a stream broken mid-way surfaces the relay's own reason.
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { APICallError, generateText, streamText } from 'ai'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './_harness'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())
beforeEach(() => stack.emu.reset())

type Item = { type?: string; role?: string; content?: unknown; id?: unknown }

/** The input items the emulator got for the n-th `/responses` call (0-based). */
function upstreamInput(n: number): Item[] {
  const calls = stack.emu.requests.filter((r) => r.route === 'responses')
  return ((calls[n]?.body as { input?: Item[] } | undefined)?.input ?? []) as Item[]
}

function texts(items: Item[]): string[] {
  return items.map((item) => {
    const content = Array.isArray(item.content) ? (item.content as { text?: string }[]) : []
    return `${item.role}:${content.map((part) => part.text ?? '').join('')}`
  })
}

describe('previousResponseId (AI SDK, openai.responses)', () => {
  it('continues a conversation across three turns', async () => {
    const model = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).responses('gpt-5.5')
    const first = await generateText({ model, prompt: 'Reply with exactly: one', maxRetries: 0 })
    expect(first.text).toBe('one')
    const firstId = first.providerMetadata?.openai?.responseId as string
    expect(firstId).toMatch(/^resp_/)

    const second = await generateText({
      model,
      prompt: 'Reply with exactly: two',
      providerOptions: { openai: { previousResponseId: firstId } },
      maxRetries: 0,
    })
    expect(second.text).toBe('two')
    const secondId = second.providerMetadata?.openai?.responseId as string

    const third = streamText({
      model,
      prompt: 'Reply with exactly: three',
      providerOptions: { openai: { previousResponseId: secondId } },
      maxRetries: 0,
    })
    expect(await third.text).toBe('three')

    expect(texts(upstreamInput(2))).toEqual([
      'user:Reply with exactly: one',
      'assistant:one',
      'user:Reply with exactly: two',
      'assistant:two',
      'user:Reply with exactly: three',
    ])
    for (const n of [0, 1, 2]) {
      const body = stack.emu.requests.filter((r) => r.route === 'responses')[n]?.body as Record<
        string,
        unknown
      >
      expect(body).not.toHaveProperty('previous_response_id')
      for (const item of upstreamInput(n)) expect(item).not.toHaveProperty('id')
    }
  })

  it('answers an unknown id with a 404 previous_response_not_found, never a silent drop', async () => {
    const model = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).responses('gpt-5.5')
    const error = await generateText({
      model,
      prompt: 'hi',
      providerOptions: { openai: { previousResponseId: 'resp_never_seen' } },
      maxRetries: 0,
    }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(APICallError.isInstance(error)).toBe(true)
    expect((error as APICallError).statusCode).toBe(404)
    expect(JSON.parse((error as APICallError).responseBody ?? '{}')).toEqual({
      error: {
        message: "Previous response with id 'resp_never_seen' not found.",
        type: 'invalid_request_error',
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      },
    })
    expect(stack.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(0)
  })
})

describe('GET /v1/responses/{id} (openai SDK)', () => {
  it('returns a kept response and 404 for another id', async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.token, maxRetries: 0 })
    const created = await client.responses.create({ model: 'gpt-5.5', input: 'Reply with exactly: kept' })
    const fetched = await client.responses.retrieve(created.id)
    expect(fetched.id).toBe(created.id)
    expect(fetched.output_text).toBe('kept')

    const chained = await client.responses.create({
      model: 'gpt-5.5',
      input: 'Reply with exactly: next',
      previous_response_id: created.id,
    })
    expect(chained.output_text).toBe('next')
    expect(chained.previous_response_id).toBe(created.id)

    const missing = await client.responses.retrieve('resp_missing').then(
      () => null,
      (e: unknown) => e,
    )
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError)
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('response_not_found')
  })
})

describe('a stream broken mid-way', () => {
  it("surfaces the relay's reason to streamText (openai.responses), not a validation failure", async () => {
    const model = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).responses('gpt-5.5')
    stack.emu.script({ kind: 'cut_mid_stream', afterEvents: 4 })
    const errors: unknown[] = []
    const result = streamText({
      model,
      prompt: 'Tell me a long story',
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error)
      },
    })
    await result.consumeStream()
    expect(errors).toHaveLength(1)
    // The relay's own in-stream error event, numbered after the last event (the AI SDK validates
    // `sequence_number`), so the SDK reports the relay's reason instead of "Type validation failed".
    const error = errors[0] as { message?: string; code?: string; data?: { sequence_number?: unknown } }
    expect(error.message).toBe('Upstream stream ended before response.completed.')
    expect(error.code).toBe('incomplete_stream')
    expect(typeof error.data?.sequence_number).toBe('number')
  })

  it.each(['openai.chat', 'openai-compatible'])(
    "surfaces the relay's reason on Chat Completions (%s)",
    async (which) => {
      const model =
        which === 'openai.chat'
          ? createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).chat('gpt-5.5')
          : createOpenAICompatible({
              name: 'airelays',
              baseURL: stack.baseURL,
              apiKey: stack.token,
            }).chatModel('gpt-5.5')
      stack.emu.script({ kind: 'cut_mid_stream', afterEvents: 4 })
      const errors: unknown[] = []
      const result = streamText({
        model,
        prompt: 'Tell me a long story',
        maxRetries: 0,
        onError: ({ error }) => {
          errors.push(error)
        },
      })
      await result.consumeStream()
      expect(errors).toHaveLength(1)
      expect(JSON.stringify(errors[0])).toContain('Upstream stream ended before response.completed.')
    },
  )
})

import type OpenAI from 'openai'
import { APIError, AuthenticationError, RateLimitError, toFile } from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
let client: OpenAI
beforeAll(async () => {
  h = await startRelay()
  client = h.openai()
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

describe('official openai npm client against the relay', () => {
  it('lists models', async () => {
    const page = await client.models.list()
    const ids = page.data.map((model) => model.id)
    expect(ids).toEqual(expect.arrayContaining(['gpt-5.5', 'gpt-5.4-mini', 'gpt-5.6-sol', 'gpt-5.6-terra']))
    expect(page.data.every((model) => model.object === 'model')).toBe(true)
    const one = await client.models.retrieve('gpt-5.5')
    expect(one.id).toBe('gpt-5.5')
    await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    })
  })

  it('creates a non-stream chat completion with OpenAI-shaped usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Reply with exactly: hello relay' },
      ],
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0]?.message.content).toBe('hello relay')
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    expect(completion.usage?.prompt_tokens).toEqual(expect.any(Number))
    expect(completion.usage?.completion_tokens).toEqual(expect.any(Number))
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    )
  })

  it('streams a chat completion to the end', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Reply with exactly: one two three four' }],
    })
    let text = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe('one two three four')
    expect(finish).toBe('stop')
    expect(usage?.total_tokens).toEqual(expect.any(Number))
  })

  it('round-trips a tool call (assistant tool_calls with content null, then the tool message)', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      },
    ]
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }]
    const first = await client.chat.completions.create({ model: 'gpt-5.5', messages, tools })
    const choice = first.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    const call = choice?.message.tool_calls?.[0]
    expect(call?.type).toBe('function')
    if (call?.type !== 'function') throw new Error('expected a function tool call')
    expect(call.function.name).toBe('get_weather')
    expect(typeof JSON.parse(call.function.arguments).city).toBe('string')

    messages.push({ role: 'assistant', content: null, tool_calls: [call] })
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"temperature_c":21}' })
    const second = await client.chat.completions.create({ model: 'gpt-5.5', messages, tools })
    expect(second.choices[0]?.finish_reason).toBe('stop')
    expect(second.choices[0]?.message.content).toEqual(expect.any(String))

    const sent = h.emu.requests.filter((r) => r.route === 'responses')
    const last = sent[sent.length - 1]?.body as { input: { type: string; call_id?: string }[] } | undefined
    const input = last?.input ?? []
    expect(input.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_output'])
    expect(input[1]?.call_id).toBe(call.id)
    expect(input[2]?.call_id).toBe(call.id)
  })

  it('answers a json_schema response_format with JSON valid for the schema', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Give me a person.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, age: { type: 'integer' } },
            required: ['name', 'age'],
            additionalProperties: false,
          },
        },
      },
    })
    const parsed = JSON.parse(completion.choices[0]?.message.content ?? 'null') as {
      name: unknown
      age: unknown
    }
    expect(typeof parsed.name).toBe('string')
    expect(Number.isInteger(parsed.age)).toBe(true)
  })

  it('streams /v1/responses through client.responses.stream()', async () => {
    const stream = client.responses.stream({ model: 'gpt-5.5', input: 'Reply with exactly: streamed answer' })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    const final = await stream.finalResponse()
    expect(final.output_text).toBe('streamed answer')
    expect(final.status).toBe('completed')
    expect(types[0]).toBe('response.created')
    expect(types).toContain('response.output_text.delta')
    expect(types[types.length - 1]).toBe('response.completed')
  })

  it('creates a non-stream response in Responses shape', async () => {
    const response = await client.responses.create({ model: 'gpt-5.5', input: 'Reply with exactly: plain' })
    expect(response.object).toBe('response')
    expect(response.output_text).toBe('plain')
    expect(response.usage?.input_tokens).toEqual(expect.any(Number))
  })

  it('creates a legacy completion, stream and non-stream', async () => {
    const completion = await client.completions.create({
      model: 'gpt-5.5',
      prompt: 'Reply with exactly: legacy',
    })
    expect(completion.object).toBe('text_completion')
    expect(completion.choices[0]?.text).toBe('legacy')
    const stream = await client.completions.create({
      model: 'gpt-5.5',
      prompt: 'Reply with exactly: legacy stream',
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    expect(text).toBe('legacy stream')
  })

  it('uploads, lists, reads and deletes a file', async () => {
    const uploaded = await client.files.create({
      file: await toFile(Buffer.from('hello from a file\n'), 'notes.txt', { type: 'text/plain' }),
      purpose: 'user_data',
    })
    expect(uploaded.id).toMatch(/^file_[0-9a-f]{32}$/)
    expect(uploaded.filename).toBe('notes.txt')
    expect(uploaded.bytes).toBe(18)
    expect(uploaded.purpose).toBe('user_data')

    const listed = await client.files.list()
    expect(listed.data.map((file) => file.id)).toContain(uploaded.id)
    const retrieved = await client.files.retrieve(uploaded.id)
    expect(retrieved.id).toBe(uploaded.id)

    const content = await client.files.content(uploaded.id)
    expect(content.headers.get('x-content-type-options')).toBe('nosniff')
    expect(content.headers.get('content-disposition')).toMatch(/^attachment;/)
    expect(await content.text()).toBe('hello from a file\n')

    const deleted = await client.files.delete(uploaded.id)
    expect(deleted).toMatchObject({ id: uploaded.id, deleted: true })
    await expect(client.files.retrieve(uploaded.id)).rejects.toMatchObject({ status: 404 })
  })

  it('uses an uploaded text file inside a chat message', async () => {
    const uploaded = await client.files.create({
      file: await toFile(Buffer.from('The secret word is lighthouse.'), 'word.txt', { type: 'text/plain' }),
      purpose: 'assistants',
    })
    await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is the word?' },
            { type: 'file', file: { file_id: uploaded.id } },
          ],
        },
      ],
    })
    const sent = await h.emu.waitFor((r) => r.route === 'responses')
    expect(JSON.stringify(sent.body)).toContain('The secret word is lighthouse.')
  })
})

describe('errors surface as the SDK error classes', () => {
  it('401 → AuthenticationError with invalid_api_key and a request id', async () => {
    const bad = h.openai({ apiKey: 'not-the-relay-token' })
    const error = await bad.models.list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    const apiError = error as AuthenticationError
    expect(apiError.status).toBe(401)
    expect(apiError.code).toBe('invalid_api_key')
    expect(apiError.type).toBe('authentication_error')
    expect(apiError.message).toContain('Missing or invalid AIRelays bearer token.')
    expect(apiError.requestID).toMatch(/^req_[0-9a-f]{32}$/)
    expect(apiError.headers?.get('www-authenticate')).toBe('Bearer')
  })

  it('429 usage limit → RateLimitError with resets_in_seconds and Retry-After', async () => {
    h.emu.script({ kind: 'usage_limit', resetsInSeconds: 3600 })
    const error = await client.chat.completions
      .create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    const apiError = error as RateLimitError
    expect(apiError.status).toBe(429)
    expect(apiError.code).toBe('usage_limit_reached')
    expect(apiError.requestID).toMatch(/^req_/)
    expect(apiError.headers?.get('retry-after')).toMatch(/^\d+$/)
    expect((apiError.error as { resets_in_seconds?: number }).resets_in_seconds).toBeGreaterThan(3000)
    // never retried before the reset: exactly one upstream call
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(1)
  })

  it('501 → APIError with unsupported_route', async () => {
    const error = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'x' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(APIError)
    const apiError = error as APIError
    expect(apiError.status).toBe(501)
    expect(apiError.code).toBe('unsupported_route')
    expect(apiError.type).toBe('unsupported_error')
    expect(apiError.message).toContain(
      'This subscription-backed server does not expose a verified upstream implementation for this route yet.',
    )
    expect(apiError.requestID).toMatch(/^req_/)
  })

  it('an overload before any content is retried, so the stream still succeeds', async () => {
    h.emu.script({ kind: 'overload_in_stream' })
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'Reply with exactly: a b c' }],
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('a b c')
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(2)
  })

  it('a stream cut after content reaches the SDK as an in-band APIError', async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 7 })
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'Reply with exactly: a b c d e f g h i j' }],
    })
    let text = ''
    const consume = async (): Promise<void> => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    }
    const error = await consume().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(APIError)
    expect((error as APIError).code).toBe('incomplete_stream')
    expect(text.length).toBeGreaterThan(0)
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(1)
  })
})

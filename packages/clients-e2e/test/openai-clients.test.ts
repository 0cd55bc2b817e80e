// What OpenAI-style clients need from the relay (issue 19), through the relay against the upstream
// emulator: JSON mode, `stop`, `chatcmpl-` ids and Cursor's request shapes.
import { readFile } from 'node:fs/promises'
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { ChatOpenAI } from '@langchain/openai'
import { generateObject, generateText, type LanguageModel, streamObject, streamText } from 'ai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Stack, startStack } from './_harness'

const DEFAULT_TEXT = 'Hello from the AIRelays upstream emulator.'
const person = z.object({ name: z.string(), age: z.number() })
const ADA = { name: 'Ada', age: 36 }

let stack: Stack

beforeAll(async () => {
  stack = await startStack({ record: true })
})
afterAll(() => stack?.close())
beforeEach(() => stack.emu.reset())

/** The body the relay forwarded for the last `/responses` call. */
function lastUpstreamBody(): Record<string, unknown> {
  const calls = stack.emu.requests.filter((r) => r.route === 'responses')
  return calls.at(-1)?.body as Record<string, unknown>
}

/** The body the client sent for its last request (the recorder in front of the relay saw it). */
function lastClientBody(): Record<string, unknown> {
  const text = stack.recorder?.requests.at(-1)?.bodyText ?? ''
  return JSON.parse(text) as Record<string, unknown>
}

const JSON_MODE_FORMAT = {
  type: 'json_schema',
  name: 'json_object',
  schema: { type: 'object' },
  strict: false,
}

describe('JSON mode', () => {
  const compatible = () =>
    createOpenAICompatible({ name: 'airelays', baseURL: stack.baseURL, apiKey: stack.token }).chatModel(
      'gpt-5.5',
    )

  it('the openai-compatible provider (JSON mode by default) gets an object', async () => {
    stack.emu.script({ kind: 'reply', output: { text: JSON.stringify(ADA) } })
    const result = await generateObject({
      model: compatible(),
      schema: person,
      prompt: 'A person',
      maxRetries: 0,
    })
    expect(result.object).toEqual(ADA)
    expect(lastClientBody().response_format).toEqual({ type: 'json_object' })
    expect((lastUpstreamBody().text as Record<string, unknown>).format).toEqual(JSON_MODE_FORMAT)
  })

  it('the openai-compatible provider streams an object in JSON mode', async () => {
    stack.emu.script({ kind: 'reply', output: { text: JSON.stringify(ADA) } })
    const result = streamObject({ model: compatible(), schema: person, prompt: 'A person', maxRetries: 0 })
    for await (const _ of result.partialObjectStream) {
      // drain
    }
    expect(await result.object).toEqual(ADA)
  })

  it.each(['responses', 'chat'] as const)('@ai-sdk/openai %s without a schema (json_object)', async (api) => {
    const openai = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token })
    const model: LanguageModel = api === 'responses' ? openai.responses('gpt-5.5') : openai.chat('gpt-5.5')
    stack.emu.script({ kind: 'reply', output: { text: '{"anything":[1,2]}' } })
    const result = await generateObject({ model, output: 'no-schema', prompt: 'Any JSON', maxRetries: 0 })
    expect(result.object).toEqual({ anything: [1, 2] })
    const sent = lastClientBody()
    if (api === 'responses') expect(sent.text).toEqual({ format: { type: 'json_object' } })
    else expect(sent.response_format).toEqual({ type: 'json_object' })
    expect((lastUpstreamBody().text as Record<string, unknown>).format).toEqual(JSON_MODE_FORMAT)
  })

  it.each([false, true])(
    'LangChain withStructuredOutput jsonMode (useResponsesApi: %s)',
    async (useResponsesApi) => {
      const chat = new ChatOpenAI({
        model: 'gpt-5.5',
        apiKey: stack.token,
        configuration: { baseURL: stack.baseURL },
        maxRetries: 0,
        useResponsesApi,
      })
      stack.emu.script({ kind: 'reply', output: { text: JSON.stringify(ADA) } })
      const result = await chat
        .withStructuredOutput(person, { method: 'jsonMode' })
        .invoke('A person, as JSON')
      expect(result).toEqual(ADA)
      expect((lastUpstreamBody().text as Record<string, unknown>).format).toEqual(JSON_MODE_FORMAT)
    },
  )
})

describe('stop', () => {
  it.each(['chat', 'compatible'] as const)(
    'generateText and streamText end before the match (%s)',
    async (which) => {
      const model =
        which === 'chat'
          ? createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).chat('gpt-5.5')
          : createOpenAICompatible({
              name: 'airelays',
              baseURL: stack.baseURL,
              apiKey: stack.token,
            }).chatModel('gpt-5.5')
      const generated = await generateText({
        model,
        prompt: 'Say hi',
        stopSequences: ['upstream'],
        maxRetries: 0,
      })
      expect(generated.text).toBe('Hello from the AIRelays ')
      expect(generated.finishReason).toBe('stop')
      expect(lastClientBody().stop).toEqual(['upstream'])
      expect(lastUpstreamBody()).not.toHaveProperty('stop')

      const streamed = streamText({ model, prompt: 'Say hi', stopSequences: ['Relays up'], maxRetries: 0 })
      let text = ''
      for await (const delta of streamed.textStream) text += delta
      expect(text).toBe('Hello from the AI')
      expect(await streamed.finishReason).toBe('stop')
    },
  )

  it("the AI SDK's completion model (which always sends a stop) gets its text", async () => {
    const model = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token }).completion('gpt-5.5')
    const result = await generateText({ model, prompt: 'Say hi', maxRetries: 0 })
    expect(result.text).toBe(DEFAULT_TEXT)
    expect(lastClientBody().stop).toEqual(['\nuser:'])
    const cut = await generateText({ model, prompt: 'Say hi', stopSequences: [' from'], maxRetries: 0 })
    expect(cut.text).toBe('Hello')
    expect(cut.finishReason).toBe('stop')
  })
})

describe('chat completion ids', () => {
  it('are chatcmpl- ids, streamed and not', async () => {
    const openai = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token })
    const generated = await generateText({ model: openai.chat('gpt-5.5'), prompt: 'hi', maxRetries: 0 })
    expect(generated.response.id).toMatch(/^chatcmpl-/)
    const streamed = streamText({ model: openai.chat('gpt-5.5'), prompt: 'hi', maxRetries: 0 })
    await streamed.consumeStream()
    expect((await streamed.response).id).toMatch(/^chatcmpl-/)
  })
})

describe('Cursor-shaped requests on /v1/chat/completions', () => {
  async function fixture(): Promise<Record<string, unknown>> {
    return JSON.parse(await readFile(new URL('./fixtures/cursor-chat-request.json', import.meta.url), 'utf8'))
  }

  async function post(body: unknown): Promise<Response> {
    return fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  }

  function chunksOf(text: string): Record<string, unknown>[] {
    return text
      .split('\n\n')
      .map((frame) => frame.replace(/^data: /, '').trim())
      .filter((data) => data !== '' && data !== '[DONE]')
      .map((data) => JSON.parse(data) as Record<string, unknown>)
  }

  it('streams chat chunks: a role chunk first, the tool call, finish tool_calls, usage', async () => {
    const response = await post(await fixture())
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true)
    const chunks = chunksOf(text)
    type Choice = { delta: Record<string, unknown>; finish_reason: string | null }
    const choices = chunks.flatMap((c) => c.choices as Choice[])
    expect(choices[0]?.delta).toMatchObject({ role: 'assistant' })
    const calls = choices.flatMap((c) => (c.delta.tool_calls as Record<string, unknown>[] | undefined) ?? [])
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'read_file' } })
    const args = calls.map((c) => (c.function as { arguments: string }).arguments).join('')
    expect(JSON.parse(args)).toEqual({ target_file: 'example' })
    expect(choices.map((c) => c.finish_reason).filter(Boolean)).toEqual(['tool_calls'])
    for (const chunk of chunks) expect(chunk.id).toMatch(/^chatcmpl-/)
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: expect.any(Number) })

    const upstream = lastUpstreamBody()
    expect(upstream.tools).toEqual((await fixture()).tools)
    expect((upstream.input as Record<string, unknown>[]).map((item) => item.type)).toEqual([
      'message',
      'reasoning',
      'function_call',
      'function_call_output',
      'custom_tool_call',
      'custom_tool_call_output',
      'message',
    ])
    expect(upstream).not.toHaveProperty('user')
  })

  it('answers a non-stream Cursor request with a chat.completion', async () => {
    const { stream_options: _unused, ...rest } = await fixture()
    const body = { ...rest, stream: false, tools: [], tool_choice: 'none' }
    const response = await post(body)
    expect(response.status).toBe(200)
    const completion = (await response.json()) as Record<string, unknown>
    expect(completion).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: DEFAULT_TEXT }, finish_reason: 'stop' }],
    })
    expect(completion.id).toMatch(/^chatcmpl-/)
  })

  it('refuses an orphan tool result with a 400', async () => {
    const response = await post({
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'tool', tool_call_id: 'call_nowhere', content: 'x' },
      ],
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ param: 'messages[1].tool_call_id', code: 'invalid_value' })
  })
})

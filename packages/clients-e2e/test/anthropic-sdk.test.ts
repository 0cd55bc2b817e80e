// The official Anthropic SDK (@anthropic-ai/sdk, pinned) through the relay's Messages API against
// the upstream emulator: create, stream + finalMessage, a tool round trip, thinking whose
// signature goes back on the next turn, an image, the SDK's error classes and countTokens.
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './_harness'

const MODEL = 'claude-sonnet-4-6'
// a 1×1 transparent PNG
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='

let stack: Stack
let client: Anthropic

beforeAll(async () => {
  stack = await startStack()
  client = new Anthropic({ baseURL: stack.url, apiKey: stack.token, maxRetries: 0 })
})
afterAll(() => stack?.close())
beforeEach(() => stack.emu.reset())

/** The JSON bodies the relay sent upstream to `/responses`, in order. */
function upstreamBodies(): Record<string, unknown>[] {
  return stack.emu.requests
    .filter((r) => r.route === 'responses')
    .map((r) => r.body as Record<string, unknown>)
}

function textOf(message: Anthropic.Message): string {
  return message.content
    .filter((block): block is Anthropic.TextBlock => block.type === 'text')
    .map((block) => block.text)
    .join('')
}

describe('@anthropic-ai/sdk through the relay', () => {
  it('messages.create (non-stream) returns the upstream text as a Message', async () => {
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Reply with exactly: pong' }],
    })
    expect(message.type).toBe('message')
    expect(message.model).toBe(MODEL)
    expect(textOf(message)).toBe('pong')
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage.output_tokens).toBeGreaterThan(0)
    expect(upstreamBodies()[0]?.model).toBe('gpt-5.5')
  })

  it('messages.stream() delivers text events and a finalMessage()', async () => {
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 1024,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Reply with exactly: one two three' }],
    })
    let streamed = ''
    stream.on('text', (text) => {
      streamed += text
    })
    const message = await stream.finalMessage()
    expect(streamed).toBe('one two three')
    expect(textOf(message)).toBe('one two three')
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(0)
  })

  it('a tool-use round trip keeps the tool id', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'Weather of a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ]
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }]
    const first = await client.messages.create({ model: MODEL, max_tokens: 1024, tools, messages })
    expect(first.stop_reason).toBe('tool_use')
    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')
    expect(call?.name).toBe('get_weather')
    expect(typeof call?.input).toBe('object')
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 1024,
      tools,
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: call?.id ?? '', content: 'sunny, 21 °C' }],
        },
      ],
    })
    expect(second.stop_reason).toBe('end_turn')
    expect(textOf(second).length).toBeGreaterThan(0)
    const input = upstreamBodies()[1]?.input as { type?: string; call_id?: string; output?: unknown }[]
    expect(input.find((item) => item.type === 'function_call')?.call_id).toBe(call?.id)
    expect(input.find((item) => item.type === 'function_call_output')).toMatchObject({
      call_id: call?.id,
      output: 'sunny, 21 °C',
    })
  })

  it('thinking: the signature goes back upstream as the reasoning item on the next turn', async () => {
    const thinking = { type: 'enabled', budget_tokens: 4096 } as const
    const first = await client.messages
      .stream({
        model: MODEL,
        max_tokens: 8192,
        thinking,
        messages: [{ role: 'user', content: 'Reply with exactly: thought' }],
      })
      .finalMessage()
    const block = first.content.find((b): b is Anthropic.ThinkingBlock => b.type === 'thinking')
    expect(block?.signature.length).toBeGreaterThan(0)
    expect(textOf(first)).toBe('thought')
    await client.messages.create({
      model: MODEL,
      max_tokens: 8192,
      thinking,
      messages: [
        { role: 'user', content: 'Reply with exactly: thought' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'Reply with exactly: again' },
      ],
    })
    expect(upstreamBodies()).toHaveLength(2)
    const input = upstreamBodies()[1]?.input as { type?: string; encrypted_content?: string }[]
    const reasoning = input.find((item) => item.type === 'reasoning')
    expect(typeof reasoning?.encrypted_content).toBe('string')
    expect(reasoning?.encrypted_content?.length).toBeGreaterThan(0)
  })

  it('an image reaches the upstream as an input_image data URL', async () => {
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'text', text: 'Reply with exactly: seen' },
          ],
        },
      ],
    })
    expect(textOf(message)).toBe('seen')
    const input = upstreamBodies()[0]?.input as { content?: { type: string; image_url?: string }[] }[]
    const parts = input.flatMap((item) => item.content ?? [])
    expect(parts.find((p) => p.type === 'input_image')?.image_url).toBe(`data:image/png;base64,${PNG}`)
  })

  it('a usage limit surfaces as RateLimitError with an integer retry-after', async () => {
    stack.emu.script({ kind: 'usage_limit', resetsInSeconds: 120 })
    const error = await client.messages
      .create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.RateLimitError)
    const rate = error as InstanceType<typeof Anthropic.RateLimitError>
    expect(rate.status).toBe(429)
    expect(rate.headers.get('retry-after')).toBe('120')
    expect(rate.requestID).toMatch(/^req_/)
  })

  it('a wrong relay token surfaces as AuthenticationError with the relay wording', async () => {
    const wrong = new Anthropic({ baseURL: stack.url, apiKey: 'not-the-token', maxRetries: 0 })
    const error = await wrong.messages
      .create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError)
    expect((error as Error).message).toContain('Missing or invalid AIRelays bearer token')
  })

  it('countTokens counts locally with a tokenizer', async () => {
    const result = await client.messages.countTokens({
      model: MODEL,
      system: 'You are a careful assistant.',
      messages: [{ role: 'user', content: 'How many tokens is this sentence?' }],
    })
    expect(result.input_tokens).toBeGreaterThan(8)
    expect(result.input_tokens).toBeLessThan(60)
    expect(upstreamBodies()).toHaveLength(0)
  })
})

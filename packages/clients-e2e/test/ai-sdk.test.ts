// The Vercel AI SDK (ai 6 with @ai-sdk/openai 3 and @ai-sdk/openai-compatible 2, the last majors
// that run on Node 20) through the relay against the upstream emulator. The emulator answers
// "Reply with exactly: X" with X, calls the first tool when tools are offered, fills a JSON schema
// deterministically, and otherwise answers with its fixed sentence.
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import {
  generateObject,
  generateText,
  type LanguageModel,
  stepCountIs,
  streamObject,
  streamText,
  tool,
} from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Stack, startStack } from './_harness'

const DEFAULT_TEXT = 'Hello from the AIRelays upstream emulator.'

let stack: Stack
const models: Record<string, () => LanguageModel> = {}

beforeAll(async () => {
  stack = await startStack({ record: true })
  const openai = createOpenAI({ baseURL: stack.baseURL, apiKey: stack.token })
  const compatible = createOpenAICompatible({
    name: 'airelays',
    baseURL: stack.baseURL,
    apiKey: stack.token,
    supportsStructuredOutputs: true,
  })
  models['openai.responses'] = () => openai.responses('gpt-5.5')
  models['openai.chat'] = () => openai.chat('gpt-5.5')
  models['openai-compatible'] = () => compatible.chatModel('gpt-5.5')
})
afterAll(() => stack?.close())

const weather = tool({
  description: 'Get the weather of a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
})
const person = z.object({ name: z.string(), age: z.number() })

describe.each(['openai.responses', 'openai.chat', 'openai-compatible'])('%s', (label) => {
  const model = (): LanguageModel => (models[label] as () => LanguageModel)()

  it('generateText returns the upstream text', async () => {
    const result = await generateText({ model: model(), prompt: 'Reply with exactly: pong', maxRetries: 0 })
    expect(result.text).toBe('pong')
    expect(result.finishReason).toBe('stop')
  })

  it('streamText streams the upstream text', async () => {
    const result = streamText({ model: model(), prompt: 'Reply with exactly: streamed pong', maxRetries: 0 })
    let text = ''
    for await (const delta of result.textStream) text += delta
    expect(text).toBe('streamed pong')
    expect(await result.finishReason).toBe('stop')
  })

  it('runs a tool call and answers after the tool result', async () => {
    const result = await generateText({
      model: model(),
      prompt: 'What is the weather in Paris?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    })
    expect(result.steps).toHaveLength(2)
    const [first] = result.steps
    expect(first?.toolCalls.map((call) => [call.toolName, call.input])).toEqual([
      ['weather', { city: 'example' }],
    ])
    expect(first?.toolResults.map((r) => r.output)).toEqual(['sunny in example'])
    expect(result.text).toBe(DEFAULT_TEXT)
  })

  it('generateObject with a JSON schema', async () => {
    const result = await generateObject({ model: model(), schema: person, prompt: 'A person', maxRetries: 0 })
    expect(result.object).toEqual({ name: 'example', age: 1 })
  })

  it('streamObject with a JSON schema', async () => {
    const result = streamObject({ model: model(), schema: person, prompt: 'A person', maxRetries: 0 })
    const partials: unknown[] = []
    for await (const partial of result.partialObjectStream) partials.push(partial)
    expect(partials.length).toBeGreaterThan(0)
    expect(await result.object).toEqual({ name: 'example', age: 1 })
  })
})

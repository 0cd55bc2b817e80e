// LangChain's ChatOpenAI (@langchain/openai 1.5, the last release that runs on Node 20) through the
// relay against the upstream emulator, on Chat Completions and (useResponsesApi) on Responses.
import { tool } from '@langchain/core/tools'
import { ChatOpenAI } from '@langchain/openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Stack, startStack } from './_harness'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

const person = z.object({ name: z.string(), age: z.number() })
const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: 'weather',
  description: 'Get the weather of a city',
  schema: z.object({ city: z.string() }),
})

/** The text of a message's content (a string on Chat Completions, blocks on Responses). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((block: { type?: string; text?: string }) => (block.type === 'text' ? block.text : ''))
    .join('')
}

describe.each([
  ['chat completions', false],
  ['responses', true],
])('ChatOpenAI on %s', (_label, useResponsesApi) => {
  const chat = (extra: Record<string, unknown> = {}): ChatOpenAI =>
    new ChatOpenAI({
      model: 'gpt-5.5',
      apiKey: stack.token,
      configuration: { baseURL: stack.baseURL },
      maxRetries: 0,
      useResponsesApi,
      ...extra,
    })

  it('invoke returns the upstream text', async () => {
    const message = await chat().invoke('Reply with exactly: pong')
    expect(textOf(message.content)).toBe('pong')
  })

  it('stream streams the upstream text', async () => {
    let text = ''
    for await (const chunk of await chat().stream('Reply with exactly: streamed pong'))
      text += textOf(chunk.content)
    expect(text).toBe('streamed pong')
  })

  it.each(['functionCalling', 'jsonSchema'] as const)('withStructuredOutput (%s)', async (method) => {
    const result = await chat().withStructuredOutput(person, { method }).invoke('A person')
    expect(result).toEqual({ name: 'example', age: 1 })
  })

  it('bindTools returns the tool call', async () => {
    const message = await chat().bindTools([weather]).invoke('What is the weather in Paris?')
    expect(message.tool_calls?.map((call) => [call.name, call.args])).toEqual([
      ['weather', { city: 'example' }],
    ])
  })
})

it('ChatOpenAI on responses with streaming: true returns the upstream text from invoke', async () => {
  const chat = new ChatOpenAI({
    model: 'gpt-5.5',
    apiKey: stack.token,
    configuration: { baseURL: stack.baseURL },
    maxRetries: 0,
    useResponsesApi: true,
    streaming: true,
  })
  const message = await chat.invoke('Reply with exactly: pong')
  expect(textOf(message.content)).toBe('pong')
})

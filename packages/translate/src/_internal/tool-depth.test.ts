import { describe, expect, it } from 'vitest'
import { translateChatRequest } from '../chat-request'
import { translateMessagesRequest } from '../messages/request'
import { normalizeResponsesRequest } from '../responses-request'
import { MAX_SCHEMA_DEPTH } from './tool-depth'

/** An array schema whose nesting depth (objects counted) is `depth`. */
function nested(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' }
  for (let i = 1; i < depth; i++) schema = { type: 'array', items: schema }
  return schema
}

const deep = nested(2_000)
const user = [{ role: 'user', content: 'hi' }]

describe('tool schema depth (issue 26, item 9)', () => {
  it.each([
    [
      'chat function parameters',
      () =>
        translateChatRequest({
          model: 'm',
          messages: user,
          tools: [{ type: 'function', function: { name: 'f', parameters: deep } }],
        }),
      'tools[0].function.parameters',
    ],
    [
      'chat legacy functions',
      () =>
        translateChatRequest({ model: 'm', messages: user, functions: [{ name: 'f', parameters: deep }] }),
      'functions[0].parameters',
    ],
    [
      'chat, Responses-shaped body',
      () =>
        translateChatRequest({
          model: 'm',
          input: 'hi',
          tools: [{ type: 'function', name: 'f', parameters: deep }],
        }),
      'tools[0].parameters',
    ],
    [
      'responses function parameters',
      () =>
        normalizeResponsesRequest({
          model: 'm',
          input: 'hi',
          tools: [{ type: 'function', name: 'f', parameters: deep }],
        }),
      'tools[0].parameters',
    ],
    [
      'responses custom tool format',
      () =>
        normalizeResponsesRequest({
          model: 'm',
          input: 'hi',
          tools: [{ type: 'custom', name: 'c', format: deep }],
        }),
      'tools[0].format',
    ],
    [
      'messages input_schema',
      () =>
        translateMessagesRequest({
          model: 'claude-sonnet-4-5',
          max_tokens: 8,
          messages: user,
          tools: [{ name: 'f', input_schema: deep }],
        }),
      'tools[0].input_schema',
    ],
  ])('%s nested 2,000 deep: a 400 naming the tool, not a stack overflow', (_name, run, param) => {
    const result = run()
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error).toMatchObject({ status: 400, code: 'tool_schema_too_deep', param })
    expect(result.error.message).toContain(`${MAX_SCHEMA_DEPTH} levels`)
  })

  it(`a schema exactly ${MAX_SCHEMA_DEPTH} levels deep is accepted; one more is refused`, () => {
    const tools = (depth: number) => [{ type: 'function', name: 'f', parameters: nested(depth) }]
    expect(normalizeResponsesRequest({ model: 'm', input: 'hi', tools: tools(MAX_SCHEMA_DEPTH) }).ok).toBe(
      true,
    )
    const over = normalizeResponsesRequest({ model: 'm', input: 'hi', tools: tools(MAX_SCHEMA_DEPTH + 1) })
    expect(over.ok).toBe(false)
  })
})

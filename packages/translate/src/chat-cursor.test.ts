// Chat requests as Cursor and other OpenAI-style clients send them: Responses-shaped bodies,
// custom tools, JSON mode, `stop`.

import { describe, expect, it } from 'vitest'
import type { TranslationResult, TranslationSuccess, ValidationError } from './index'
import { translateChatRequest, translateCompletionRequest } from './index'

function ok(result: TranslationResult): TranslationSuccess {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result
}

function fail(result: TranslationResult): ValidationError {
  if (result.ok) throw new Error(`expected a validation error, got ${JSON.stringify(result.request)}`)
  return result.error
}

const APPLY_PATCH = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Apply a patch',
  format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' },
}

describe('Responses-shaped bodies on /v1/chat/completions (Cursor)', () => {
  const body = {
    model: 'gpt-5.5',
    stream: true,
    stream_options: { include_usage: true },
    instructions: 'You are a coding agent.',
    input: [
      { type: 'message', role: 'system', content: 'Be brief.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the bug' }] },
      { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_1', name: 'apply_patch', input: 'patch' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done' },
      { type: 'function_call', call_id: 'call_2', name: 'read_file', arguments: '{"path":"a"}' },
      { type: 'function_call_output', call_id: 'call_2', output: 'contents' },
    ],
    tools: [
      APPLY_PATCH,
      { type: 'function', name: 'read_file', parameters: { type: 'object', properties: {} } },
      { type: 'function', function: { name: 'nested', parameters: { type: 'object', properties: {} } } },
    ],
    tool_choice: 'auto',
    reasoning: { effort: 'medium' },
    store: false,
    stop: ['<END>'],
    response_format: { type: 'json_object' },
    temperature: 0.2,
  }

  it('is normalised as on /v1/responses and answered as a chat completion', () => {
    const result = ok(translateChatRequest(body))
    expect(result.context).toMatchObject({
      route: 'chat',
      stream: true,
      includeUsage: true,
      stop: ['<END>'],
    })
    const request = result.request
    expect(request.instructions).toBe('You are a coding agent.\n\nBe brief.')
    expect(request.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the bug' }] },
      { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: 'patch' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done' },
      { type: 'function_call', call_id: 'call_2', name: 'read_file', arguments: '{"path":"a"}' },
      { type: 'function_call_output', call_id: 'call_2', output: 'contents' },
    ])
    expect(request.tools).toEqual([
      APPLY_PATCH,
      { type: 'function', name: 'read_file', parameters: { type: 'object', properties: {} } },
      { type: 'function', name: 'nested', parameters: { type: 'object', properties: {} } },
    ])
    expect(request.text).toEqual({
      format: { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false },
    })
    for (const key of ['stop', 'response_format', 'stream_options', 'temperature', 'messages'])
      expect(request).not.toHaveProperty(key)
    expect(result.ignoredParameters).toEqual(['temperature'])
  })

  it('refuses a tool output that answers no earlier call, and chat tool messages in input', () => {
    const orphan = fail(
      translateChatRequest({
        model: 'gpt-5.5',
        input: [{ type: 'function_call_output', call_id: 'call_x', output: 'x' }],
      }),
    )
    expect(orphan).toMatchObject({ status: 400, param: 'input[0].call_id', code: 'invalid_value' })
    const tool = fail(
      translateChatRequest({
        model: 'gpt-5.5',
        input: [{ role: 'tool', tool_call_id: 'call_x', content: 'x' }],
      }),
    )
    expect(tool).toMatchObject({ status: 400, param: 'input[0].role' })
  })
})

describe('custom tools on chat messages', () => {
  it('accepts flat and nested custom tools and sends them as Responses custom tools', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          APPLY_PATCH,
          { type: 'custom', custom: { name: 'free', description: 'Free text' } },
          { type: 'function', function: { name: 'f' } },
        ],
        tool_choice: { type: 'custom', custom: { name: 'free' } },
      }),
    )
    expect(result.request.tools).toEqual([
      APPLY_PATCH,
      { type: 'custom', name: 'free', description: 'Free text' },
      { type: 'function', name: 'f', parameters: { type: 'object', properties: {} } },
    ])
    expect(result.request.tool_choice).toEqual({ type: 'custom', name: 'free' })
  })

  it('replays calls of custom tools as custom_tool_call items with their outputs', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        tools: [APPLY_PATCH, { type: 'function', function: { name: 'f' } }],
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'apply_patch', arguments: 'PATCH A' } },
              { id: 'call_b', type: 'custom', custom: { name: 'apply_patch', input: 'PATCH B' } },
              { id: 'call_c', type: 'function', function: { name: 'f', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: 'ok a' },
          { role: 'tool', tool_call_id: 'call_b', content: 'ok b' },
          { role: 'tool', tool_call_id: 'call_c', content: 'ok c' },
        ],
      }),
    )
    expect(result.request.input.slice(1)).toEqual([
      { type: 'custom_tool_call', call_id: 'call_a', name: 'apply_patch', input: 'PATCH A' },
      { type: 'custom_tool_call', call_id: 'call_b', name: 'apply_patch', input: 'PATCH B' },
      { type: 'function_call', call_id: 'call_c', name: 'f', arguments: '{}' },
      { type: 'custom_tool_call_output', call_id: 'call_a', output: 'ok a' },
      { type: 'custom_tool_call_output', call_id: 'call_b', output: 'ok b' },
      { type: 'function_call_output', call_id: 'call_c', output: 'ok c' },
    ])
  })

  it('refuses an orphan tool message with a 400 naming it', () => {
    const error = fail(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [
          { role: 'user', content: 'go' },
          { role: 'tool', tool_call_id: 'call_nowhere', content: 'x' },
        ],
      }),
    )
    expect(error).toMatchObject({ status: 400, param: 'messages[1].tool_call_id', code: 'invalid_value' })
  })
})

describe('stop', () => {
  it('takes a string or up to four strings, ignoring empty ones', () => {
    const base = { model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }
    expect(ok(translateChatRequest({ ...base, stop: 'a' })).context.stop).toEqual(['a'])
    expect(ok(translateChatRequest({ ...base, stop: ['a', '', 'b', 'a'] })).context.stop).toEqual(['a', 'b'])
    expect(ok(translateChatRequest({ ...base, stop: null })).context.stop).toBeUndefined()
    expect(fail(translateChatRequest({ ...base, stop: ['a', 'b', 'c', 'd', 'e'] }))).toMatchObject({
      param: 'stop',
      code: 'invalid_value',
    })
    expect(fail(translateChatRequest({ ...base, stop: 3 }))).toMatchObject({
      param: 'stop',
      code: 'invalid_type',
    })
    expect(
      ok(translateCompletionRequest({ model: 'gpt-5.5', prompt: 'x', stop: ['\n'] })).context.stop,
    ).toEqual(['\n'])
  })
})

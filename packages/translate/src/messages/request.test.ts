import { describe, expect, it } from 'vitest'
import type { JsonObject } from '../types'
import { encodeSignature } from './_signature'
import { budgetEffort, translateMessagesRequest } from './request'
import type { MessagesTranslationSuccess } from './types'

function ok(body: JsonObject, options = {}): MessagesTranslationSuccess {
  const result = translateMessagesRequest(body, options)
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result
}

const user = (content: unknown): JsonObject => ({ role: 'user', content })

describe('translateMessagesRequest', () => {
  it('translates a minimal request', () => {
    const result = ok({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [user('Hello')] })
    expect(result.request).toEqual({
      model: 'gpt-5.5',
      instructions: '.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
      tools: [],
      tool_choice: 'none',
      reasoning: { effort: 'medium' },
      include: [],
      store: false,
      stream: true,
      prompt_cache_key: result.sessionId,
    })
    expect(result.sessionId).toMatch(/^airelays-[0-9a-f]{32}$/)
    expect(result.ignoredParameters).toEqual(['max_tokens'])
    expect(result.context).toEqual({
      model: 'claude-sonnet-4-6',
      upstreamModel: 'gpt-5.5',
      stream: false,
      stopSequences: [],
      thinking: false,
      toolNameMap: {},
    })
  })

  it('joins system blocks into instructions and drops the attribution block', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli;' },
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [user('hi')],
    })
    expect(result.request.instructions).toBe('You are Claude Code.\n\nBe brief.')
    expect(result.adaptations).toEqual([expect.objectContaining({ code: 'attribution_dropped', count: 1 })])
    expect(result.ignoredParameters).toContain('cache_control')
  })

  it('keeps mid-conversation system messages in place as developer messages', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      messages: [
        user('a'),
        { role: 'assistant', content: 'b' },
        { role: 'system', content: 'Now answer in French.' },
        user('c'),
      ],
    })
    expect(result.request.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'b' }] },
      {
        type: 'message',
        role: 'developer',
        content: [{ type: 'input_text', text: 'Now answer in French.' }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'c' }] },
    ])
  })

  it('translates images (base64 and url) and PDFs', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      messages: [
        user([
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          {
            type: 'document',
            title: 'spec.pdf',
            source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' },
          },
          { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' } },
          {
            type: 'document',
            title: 'notes',
            source: { type: 'text', media_type: 'text/plain', data: 'plain words' },
          },
          { type: 'text', text: 'What are these?' },
        ]),
      ],
    })
    expect(result.request.input).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_image', image_url: 'data:image/png;base64,iVBOR', detail: 'auto' },
          { type: 'input_image', image_url: 'https://example.com/a.jpg', detail: 'auto' },
          { type: 'input_file', filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBER' },
          { type: 'input_file', file_url: 'https://example.com/b.pdf' },
          { type: 'input_text', text: 'notes\n\nplain words' },
          { type: 'input_text', text: 'What are these?' },
        ],
      },
    ])
  })

  it('maps tool_use / tool_result to function_call / function_call_output with ids kept, errors visible', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      tools: [
        {
          name: 'Read',
          description: 'Read a file',
          input_schema: { type: 'object', properties: { path: { type: 'string' } } },
        },
      ],
      messages: [
        user('read a.txt'),
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Reading.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'Read', input: { path: 'a.txt' } },
            { type: 'tool_use', id: 'toolu_01B', name: 'Read', input: { path: 'b.txt' } },
          ],
        },
        user([
          { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'alpha' },
          {
            type: 'tool_result',
            tool_use_id: 'toolu_01B',
            is_error: true,
            content: [{ type: 'text', text: 'ENOENT' }],
          },
          { type: 'text', text: 'go on' },
        ]),
      ],
    })
    expect(result.request.input.slice(1)).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Reading.' }] },
      { type: 'function_call', call_id: 'toolu_01A', name: 'Read', arguments: '{"path":"a.txt"}' },
      { type: 'function_call', call_id: 'toolu_01B', name: 'Read', arguments: '{"path":"b.txt"}' },
      { type: 'function_call_output', call_id: 'toolu_01A', output: 'alpha' },
      { type: 'function_call_output', call_id: 'toolu_01B', output: '[tool error] ENOENT' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go on' }] },
    ])
    expect(result.request.tools).toEqual([
      {
        type: 'function',
        name: 'Read',
        description: 'Read a file',
        parameters: { type: 'object', properties: { path: { type: 'string' } } },
        strict: false,
      },
    ])
    expect(result.request.tool_choice).toBe('auto')
    expect(result.request.parallel_tool_calls).toBe(true)
  })

  it('sends tool_result images as an output content list', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }] },
        user([
          {
            type: 'tool_result',
            tool_use_id: 't1',
            content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
          },
        ]),
      ],
    })
    expect(result.request.input[1]).toEqual({
      type: 'function_call_output',
      call_id: 't1',
      output: [{ type: 'input_image', image_url: 'https://x/y.png', detail: 'auto' }],
    })
  })

  it('rejects a tool_result without a matching tool_use', () => {
    const result = translateMessagesRequest({
      model: 'claude-opus-4-8',
      messages: [user([{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'x' }])],
    })
    expect(result).toMatchObject({
      ok: false,
      error: { status: 400, param: 'messages.0.content.0', code: 'invalid_value' },
    })
  })

  it('sends relay-signed thinking back as reasoning and drops foreign signatures', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      thinking: { type: 'adaptive' },
      messages: [
        user('q'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Plan.', signature: encodeSignature('gpt-5.5', 'gAAAAB-enc') },
            { type: 'thinking', thinking: 'Anthropic.', signature: 'EqQBCkgIARABGAIiQL' },
            {
              type: 'thinking',
              thinking: 'Other model.',
              signature: encodeSignature('gpt-5.4-mini', 'gAAAAB-x'),
            },
            { type: 'redacted_thinking', data: 'abc' },
            { type: 'text', text: 'A.' },
          ],
        },
        user('next'),
      ],
    })
    expect(result.request.input[1]).toEqual({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'Plan.' }],
      encrypted_content: 'gAAAAB-enc',
    })
    expect(result.request.input[2]).toEqual({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'A.' }],
    })
    expect(result.adaptations.map((a) => [a.code, a.count])).toEqual([
      ['foreign_thinking_dropped', 2],
      ['redacted_thinking_dropped', 1],
    ])
    expect(result.request.include).toEqual(['reasoning.encrypted_content'])
    expect(result.request.reasoning).toEqual({ effort: 'high', summary: 'auto' })
    expect(result.context.thinking).toBe(true)
  })

  it('takes the effort from output_config.effort, else the thinking budget, else the model map', () => {
    const effort = (body: JsonObject): unknown =>
      ok({ model: 'claude-haiku-4-5', messages: [user('x')], ...body }).request.reasoning
    expect(effort({})).toEqual({ effort: 'low' })
    expect(effort({ output_config: { effort: 'max' } })).toEqual({ effort: 'xhigh' })
    expect(effort({ thinking: { type: 'enabled', budget_tokens: 10000 } })).toEqual({
      effort: 'high',
      summary: 'auto',
    })
    expect(
      effort({
        thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' },
        output_config: { effort: 'medium' },
      }),
    ).toEqual({
      effort: 'medium',
    })
    expect(effort({ thinking: { type: 'disabled' } })).toEqual({ effort: 'low' })
    expect([1024, 8192, 8193, 24576, 30000].map(budgetEffort)).toEqual([
      'low',
      'medium',
      'high',
      'high',
      'xhigh',
    ])
  })

  it('translates custom tools, web_search and tool_choice', () => {
    const tools = [
      { name: 'calc', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
      { type: 'web_search_20250305', name: 'web_search', allowed_domains: ['example.com'], max_uses: 3 },
      { type: 'bash_20250124', name: 'bash' },
      { type: 'advisor_20260301', name: 'advisor' },
    ]
    const base = { model: 'claude-opus-4-8', messages: [user('x')], tools }
    const result = ok(base)
    expect(result.request.tools).toEqual([
      { type: 'function', name: 'calc', parameters: { type: 'object', properties: {} }, strict: false },
      { type: 'web_search', filters: { allowed_domains: ['example.com'] } },
    ])
    expect(result.adaptations).toContainEqual(
      expect.objectContaining({ code: 'server_tools_dropped', count: 2 }),
    )
    expect(result.ignoredParameters).toEqual(['cache_control'])
    const choice = (tool_choice: JsonObject): unknown => {
      const r = ok({ ...base, tool_choice })
      return [r.request.tool_choice, r.request.parallel_tool_calls]
    }
    expect(choice({ type: 'auto' })).toEqual(['auto', true])
    expect(choice({ type: 'any', disable_parallel_tool_use: true })).toEqual(['required', false])
    expect(choice({ type: 'none' })).toEqual(['none', true])
    expect(choice({ type: 'tool', name: 'calc' })).toEqual([{ type: 'function', name: 'calc' }, true])
    expect(choice({ type: 'tool', name: 'web_search' })).toEqual([{ type: 'web_search' }, true])
    expect(translateMessagesRequest({ ...base, tool_choice: { type: 'tool', name: 'nope' } })).toMatchObject({
      ok: false,
      error: { param: 'tool_choice.name' },
    })
  })

  it('shortens tool names over 64 characters and maps them back', () => {
    const long = `mcp__${'a'.repeat(70)}`
    const result = ok({
      model: 'claude-opus-4-8',
      tools: [{ name: long, input_schema: { type: 'object', properties: {} } }],
      messages: [
        user('x'),
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: long, input: {} }] },
      ],
    })
    const short = (result.request.tools[0] as JsonObject).name as string
    expect(short.length).toBe(64)
    expect((result.request.input[1] as JsonObject).name).toBe(short)
    expect(result.context.toolNameMap).toEqual({ [short]: long })
  })

  it('turns output_config.format into a strict json_schema text format', () => {
    const result = ok({
      model: 'claude-haiku-4-5',
      messages: [user('title?')],
      output_config: {
        format: {
          type: 'json_schema',
          schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
        },
      },
    })
    expect(result.request.text).toEqual({
      format: {
        type: 'json_schema',
        name: 'output',
        schema: {
          type: 'object',
          properties: { title: { type: 'string' } },
          required: ['title'],
          additionalProperties: false,
        },
        strict: true,
      },
    })
  })

  it('lists refused parameters instead of forwarding them, and keeps stop_sequences for the output', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      messages: [user('x')],
      max_tokens: 32000,
      temperature: 1,
      top_p: 0.99,
      top_k: 5,
      stop_sequences: ['###'],
      metadata: { user_id: '{"device_id":"d","account_uuid":"a","session_id":"sess-1"}' },
      context_management: { edits: [] },
      cache_control: { type: 'ephemeral' },
      service_tier: 'auto',
      speed: 'fast',
      stream: true,
    })
    expect(result.ignoredParameters).toEqual([
      'temperature',
      'top_p',
      'max_tokens',
      'cache_control',
      'context_management',
      'metadata',
      'service_tier',
      'stop_sequences',
      'top_k',
    ])
    for (const name of result.ignoredParameters.filter((n) => n !== 'service_tier')) {
      expect(result.request).not.toHaveProperty(name)
    }
    expect(result.request.service_tier).toBe('priority') // from speed: "fast", not the client's "auto"
    expect(result.sessionId).toBe('sess-1')
    expect(result.context).toMatchObject({ stream: true, stopSequences: ['###'] })
  })

  it('leaves out empty user text blocks', () => {
    const result = ok({
      model: 'claude-opus-4-8',
      messages: [
        user([
          { type: 'text', text: '' },
          { type: 'text', text: 'x' },
        ]),
      ],
    })
    expect(result.request.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
    ])
  })

  it('takes the session id from the options first', () => {
    expect(
      ok({ model: 'claude-opus-4-8', messages: [user('x')] }, { sessionId: 'hdr' }).request.prompt_cache_key,
    ).toBe('hdr')
  })

  it('uses a custom model map (table or function)', () => {
    const table = { 'claude-opus-4-8': { model: 'gpt-5.6-sol', effort: 'max' } }
    expect(ok({ model: 'claude-opus-4-8', messages: [user('x')] }, { models: table }).request).toMatchObject({
      model: 'gpt-5.6-sol',
      reasoning: { effort: 'max' },
    })
    const fn = (): null => null
    expect(ok({ model: 'gpt-5.5', messages: [user('x')] }, { models: fn }).request.model).toBe('gpt-5.5')
  })

  it('rejects malformed bodies with Anthropic-style paths', () => {
    const error = (body: unknown): unknown => {
      const result = translateMessagesRequest(body)
      return result.ok ? null : [result.error.param, result.error.message]
    }
    expect(error([])).toEqual([null, 'Request body must be a JSON object.'])
    expect(error({ messages: [user('x')] })).toEqual(['model', 'model: Field required.'])
    expect(error({ model: 'claude-opus-4-8', messages: [] })).toEqual([
      'messages',
      'messages: Field required (a non-empty list).',
    ])
    expect(error({ model: 'claude-opus-4-8', messages: [{ role: 'tool', content: 'x' }] })).toEqual([
      'messages.0.role',
      "messages.0.role: Input should be 'user', 'assistant' or 'system'.",
    ])
    expect(
      error({
        model: 'claude-opus-4-8',
        messages: [user([{ type: 'image', source: { type: 'file', file_id: 'f' } }])],
      }),
    ).toEqual([
      'messages.0.content.0.source',
      'messages.0.content.0.source: Only base64 and url image sources are supported.',
    ])
  })
})

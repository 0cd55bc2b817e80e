import { describe, expect, it } from 'vitest'
import type { TranslationResult, TranslationSuccess, ValidationError } from './index'
import { normalizeResponsesRequest, translateChatRequest } from './index'

function ok(result: TranslationResult): TranslationSuccess {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result
}

function fail(result: TranslationResult): ValidationError {
  if (result.ok) throw new Error('expected a validation error')
  return result.error
}

describe('normalizeResponsesRequest: input forms', () => {
  it('wraps a string into one user message and forces the backend flags', () => {
    const result = ok(normalizeResponsesRequest({ model: 'gpt-5.5', input: 'Hello', stream: false }))
    expect(result.request).toMatchInlineSnapshot(`
      {
        "input": [
          {
            "content": [
              {
                "text": "Hello",
                "type": "input_text",
              },
            ],
            "role": "user",
            "type": "message",
          },
        ],
        "instructions": ".",
        "model": "gpt-5.5",
        "prompt_cache_key": "airelays-9aa79fd733dc58c714d32b2cf56d209a",
        "store": false,
        "stream": true,
        "tools": [],
      }
    `)
    expect(result.context).toEqual({
      route: 'responses',
      model: 'gpt-5.5',
      stream: false,
      includeUsage: false,
      toolNameMap: {},
    })
  })

  it('wraps an object into a one-item list and keeps a list', () => {
    const item = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] }
    expect(ok(normalizeResponsesRequest({ model: 'm', input: item })).request.input).toEqual([item])
    expect(ok(normalizeResponsesRequest({ model: 'm', input: [item, item] })).request.input).toEqual([
      item,
      item,
    ])
  })

  it('rejects other input types', () => {
    expect(fail(normalizeResponsesRequest({ model: 'm', input: 42 }))).toMatchInlineSnapshot(`
      {
        "code": "invalid_type",
        "message": "Responses requests must include \`input\` as a string, object, or array.",
        "param": "input",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
    expect(fail(normalizeResponsesRequest({ model: 'm' })).param).toBe('input')
    expect(fail(normalizeResponsesRequest({ model: 'm', input: ['x'] }))).toMatchObject({ param: 'input[0]' })
  })
})

describe('normalizeResponsesRequest: backend adaptations', () => {
  it('moves system items into instructions, strips item ids and drops item references', () => {
    const result = ok(
      normalizeResponsesRequest({
        model: 'gpt-5.5',
        instructions: 'Base.',
        input: [
          { role: 'system', content: 'System rule.' },
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Dev rule.' }] },
          { id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
          { type: 'item_reference', id: 'rs_123' },
          { id: 'rs_abc', type: 'reasoning', summary: [], encrypted_content: 'gAAA' },
          { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
        ],
      }),
    )
    expect(result.request.instructions).toBe('Base.\n\nSystem rule.')
    expect(result.request.input).toMatchInlineSnapshot(`
      [
        {
          "content": [
            {
              "text": "Dev rule.",
              "type": "input_text",
            },
          ],
          "role": "developer",
          "type": "message",
        },
        {
          "content": [
            {
              "text": "Hi",
              "type": "input_text",
            },
          ],
          "role": "user",
          "type": "message",
        },
        {
          "encrypted_content": "gAAA",
          "summary": [],
          "type": "reasoning",
        },
        {
          "arguments": "{}",
          "call_id": "call_1",
          "name": "f",
          "type": "function_call",
        },
        {
          "call_id": "call_1",
          "output": "ok",
          "type": "function_call_output",
        },
      ]
    `)
    expect(result.adaptations.map((a) => [a.code, a.count])).toEqual([
      ['system_messages_to_instructions', 1],
      ['input_item_ids_removed', 3],
      ['item_references_dropped', 1],
    ])
  })

  it('uses "." for missing or blank instructions', () => {
    expect(ok(normalizeResponsesRequest({ model: 'm', input: 'x' })).request.instructions).toBe('.')
    expect(
      ok(normalizeResponsesRequest({ model: 'm', input: 'x', instructions: '   ' })).request.instructions,
    ).toBe('.')
  })

  it('turns conversation into the session id and removes it from the body', () => {
    const result = ok(normalizeResponsesRequest({ model: 'm', input: 'x', conversation: { id: 'conv_abc' } }))
    expect(result.sessionId).toBe('conv_abc')
    expect(result.request.prompt_cache_key).toBe('conv_abc')
    expect(result.request).not.toHaveProperty('conversation')
    expect(ok(normalizeResponsesRequest({ model: 'm', input: 'x', prompt_cache_key: 'pk' })).sessionId).toBe(
      'pk',
    )
  })

  it('strips and reports rejected fields, hands previous_response_id over, passes the rest through', () => {
    const result = ok(
      normalizeResponsesRequest({
        model: 'gpt-5.5',
        input: 'x',
        max_output_tokens: 100,
        temperature: 0.3,
        previous_response_id: 'resp_1',
        metadata: { k: 'v' },
        truncation: 'auto',
        user: 'u',
        stream_options: null,
        service_tier: 'default',
        background: false,
        top_logprobs: 0,
        reasoning: { effort: 'high', summary: 'auto' },
        include: ['reasoning.encrypted_content'],
        parallel_tool_calls: false,
        client_metadata: { 'x-codex-installation-id': 'abc' },
      }),
    )
    expect(result.ignoredParameters).toEqual([
      'temperature',
      'max_output_tokens',
      'metadata',
      'service_tier',
      'stream_options',
      'truncation',
      'user',
    ])
    expect(result.request).not.toHaveProperty('previous_response_id')
    expect(result.context.previousResponseId).toBe('resp_1')
    expect(result.context.store).toBeUndefined()
    expect(ok(normalizeResponsesRequest({ model: 'm', input: 'x', store: false })).context.store).toBe(false)
    expect(
      fail(normalizeResponsesRequest({ model: 'm', input: 'x', previous_response_id: 7 })),
    ).toMatchObject({ param: 'previous_response_id', code: 'invalid_type' })
    expect(result.request).toMatchInlineSnapshot(`
      {
        "client_metadata": {
          "x-codex-installation-id": "abc",
        },
        "include": [
          "reasoning.encrypted_content",
        ],
        "input": [
          {
            "content": [
              {
                "text": "x",
                "type": "input_text",
              },
            ],
            "role": "user",
            "type": "message",
          },
        ],
        "instructions": ".",
        "model": "gpt-5.5",
        "parallel_tool_calls": false,
        "prompt_cache_key": "airelays-user-0d5aa9c90a0a037b9405830740a314e1",
        "reasoning": {
          "effort": "high",
          "summary": "auto",
        },
        "store": false,
        "stream": true,
        "tools": [],
      }
    `)
  })

  it('forwards service_tier "priority"', () => {
    const result = ok(normalizeResponsesRequest({ model: 'gpt-5.5', input: 'x', service_tier: 'priority' }))
    expect(result.request.service_tier).toBe('priority')
    expect(result.ignoredParameters).toEqual([])
  })

  it('forwards service_tier "fast" as "priority" (the backend refuses "fast")', () => {
    const result = ok(normalizeResponsesRequest({ model: 'gpt-5.5', input: 'x', service_tier: 'fast' }))
    expect(result.request.service_tier).toBe('priority')
    expect(result.ignoredParameters).toEqual([])
    const chat = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'x' }],
        service_tier: 'fast',
      }),
    )
    expect(chat.request.service_tier).toBe('priority')
  })

  it('lists file references for the inliner', () => {
    const result = ok(
      normalizeResponsesRequest({
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Read' },
              { type: 'input_file', file_id: 'file_1' },
              { type: 'input_image', file_id: 'file_2' },
              { type: 'input_file', filename: 'a.pdf', file_data: 'JVBERi0=' },
            ],
          },
        ],
      }),
    )
    expect(result.fileRefs).toEqual([
      {
        path: ['input', 0, 'content', 1],
        param: 'input[0].content[1]',
        partType: 'input_file',
        fileId: 'file_1',
      },
      {
        path: ['input', 0, 'content', 2],
        param: 'input[0].content[2]',
        partType: 'input_image',
        fileId: 'file_2',
      },
      {
        path: ['input', 0, 'content', 3],
        param: 'input[0].content[3]',
        partType: 'input_file',
        fileId: null,
      },
    ])
  })
})

describe('normalizeResponsesRequest: text.format', () => {
  it('keeps text, normalises json_schema, maps json_object, rejects unknown types', () => {
    expect(
      ok(
        normalizeResponsesRequest({
          model: 'm',
          input: 'x',
          text: { format: { type: 'text' }, verbosity: 'low' },
        }),
      ).request.text,
    ).toEqual({ format: { type: 'text' }, verbosity: 'low' })
    const schema = ok(
      normalizeResponsesRequest({
        model: 'm',
        input: 'x',
        text: {
          format: {
            type: 'json_schema',
            name: 'out',
            strict: true,
            schema: {
              type: 'object',
              properties: { a: { type: 'string' }, b: { type: 'number' } },
              required: ['a'],
            },
          },
        },
      }),
    )
    expect(schema.request.text).toEqual({
      format: {
        type: 'json_schema',
        name: 'out',
        strict: true,
        schema: {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: ['number', 'null'] } },
          required: ['a', 'b'],
          additionalProperties: false,
        },
      },
    })
    // JSON mode: a non-strict json_schema format for any object (what the backend takes).
    expect(
      ok(
        normalizeResponsesRequest({
          model: 'm',
          input: 'x',
          text: { format: { type: 'json_object' }, verbosity: 'low' },
        }),
      ).request.text,
    ).toEqual({
      format: { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false },
      verbosity: 'low',
    })
    expect(
      fail(normalizeResponsesRequest({ model: 'm', input: 'x', text: { format: { type: 'yaml' } } })).param,
    ).toBe('text.format.type')
    expect(
      fail(
        normalizeResponsesRequest({
          model: 'm',
          input: 'x',
          text: { format: { type: 'json_schema', schema: {} } },
        }),
      ).param,
    ).toBe('text.format.name')
    expect(
      fail(
        normalizeResponsesRequest({
          model: 'm',
          input: 'x',
          text: {
            format: {
              type: 'json_schema',
              name: 'n',
              schema: { type: 'object', additionalProperties: true },
            },
          },
        }),
      ),
    ).toMatchObject({ param: 'text.format.schema', code: 'unsupported_value' })
    expect(fail(normalizeResponsesRequest({ model: 'm', input: 'x', text: 'plain' })).param).toBe('text')
  })
})

describe('normalizeResponsesRequest: rejections', () => {
  it.each<[string, unknown, { noTools?: boolean }?]>([
    ['a non-object body', null],
    ['store true', { model: 'm', input: 'x', store: true }],
    ['background mode', { model: 'm', input: 'x', background: true }],
    ['top_logprobs', { model: 'm', input: 'x', top_logprobs: 5 }],
    [
      'tools on the no-tools route',
      { model: 'm', input: 'x', tools: [{ type: 'web_search' }] },
      { noTools: true },
    ],
    [
      'a forced tool_choice on the no-tools route',
      { model: 'm', input: 'x', tool_choice: 'required' },
      { noTools: true },
    ],
    ['a malformed conversation', { model: 'm', input: 'x', conversation: { name: 'c' } }],
    ['a missing model', { input: 'x' }],
    ['non-array tools', { model: 'm', input: 'x', tools: {} }],
    [
      'a system item with an audio part',
      { model: 'm', input: [{ role: 'system', content: [{ type: 'input_audio' }] }] },
    ],
  ])('rejects %s', (_name, body, options) => {
    expect(fail(normalizeResponsesRequest(body, options))).toMatchSnapshot()
  })

  it('accepts the no-tools route without tools', () => {
    const result = ok(
      normalizeResponsesRequest(
        { model: 'm', input: 'x', tools: [], tool_choice: 'none' },
        { noTools: true },
      ),
    )
    expect(result.request.tools).toEqual([])
  })
})

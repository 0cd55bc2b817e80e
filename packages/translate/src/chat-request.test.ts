import { describe, expect, it } from 'vitest'
import imageInput from './__fixtures__/requests/chat-image-input.json'
import jsonSchemaRequest from './__fixtures__/requests/chat-json-schema.json'
import type { TranslationResult, TranslationSuccess, ValidationError } from './index'
import { translateChatRequest } from './index'

function ok(result: TranslationResult): TranslationSuccess {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result
}

function fail(result: TranslationResult): ValidationError {
  if (result.ok) throw new Error(`expected a validation error, got ${JSON.stringify(result.request)}`)
  return result.error
}

const user = (content: unknown) => ({ role: 'user', content })
const base = { model: 'gpt-5.5', messages: [user('Hello')] }

describe('translateChatRequest: a plain request', () => {
  it('produces the forced upstream fields and a stable derived session id', () => {
    const result = ok(translateChatRequest(base))
    expect(result.request).toMatchInlineSnapshot(`
      {
        "include": [],
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
        "tool_choice": "none",
        "tools": [],
      }
    `)
    expect(result.sessionId).toBe(result.request.prompt_cache_key)
    expect(result.sessionId).toMatch(/^airelays-[0-9a-f]{32}$/)
    expect(ok(translateChatRequest(structuredClone(base))).sessionId).toBe(result.sessionId)
    expect(ok(translateChatRequest({ ...base, messages: [user('Other')] })).sessionId).not.toBe(
      result.sessionId,
    )
    expect(result.ignoredParameters).toEqual([])
    expect(result.adaptations).toEqual([])
    expect(result.fileRefs).toEqual([])
    expect(result.context).toEqual({
      route: 'chat',
      model: 'gpt-5.5',
      stream: false,
      includeUsage: false,
      toolNameMap: {},
    })
  })

  it('does not modify the client body', () => {
    const body = structuredClone(jsonSchemaRequest)
    translateChatRequest(body)
    expect(body).toEqual(jsonSchemaRequest)
  })

  it('remembers stream and include_usage in the context', () => {
    const result = ok(
      translateChatRequest({ ...base, stream: true, stream_options: { include_usage: true } }),
    )
    expect(result.context.stream).toBe(true)
    expect(result.context.includeUsage).toBe(true)
    expect(result.request.stream).toBe(true)
    expect(result.ignoredParameters).toEqual([])
  })
})

describe('translateChatRequest: instructions', () => {
  it('joins top-level instructions, system and developer text with blank lines, never as input items', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        instructions: 'Top level.',
        messages: [
          { role: 'system', content: 'You are terse.' },
          user('Hi'),
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'Line one' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              { type: 'text', text: 'Line two' },
            ],
          },
        ],
      }),
    )
    expect(result.request.instructions).toBe('Top level.\n\nYou are terse.\n\nLine one\n[image]\nLine two')
    expect(result.request.input).toHaveLength(1)
    expect(JSON.stringify(result.request.input)).not.toContain('system')
  })

  it('uses "." when there is no instruction text', () => {
    expect(ok(translateChatRequest(base)).request.instructions).toBe('.')
    const blank = translateChatRequest({ ...base, messages: [{ role: 'system', content: '  ' }, user('x')] })
    expect(ok(blank).request.instructions).toBe('.')
  })
})

describe('translateChatRequest: messages', () => {
  it('maps user and assistant parts, tool calls and tool results', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [
          user([{ type: 'text', text: 'What is the weather in Paris and Oslo?' }]),
          {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [
              {
                id: 'call_a',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: '18°C' },
          { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '9°C' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Paris 18°C, Oslo 9°C.' }] },
          { role: 'assistant', content: '', refusal: 'I will not do that.' },
          user('Thanks'),
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      }),
    )
    expect(result.request.input).toMatchInlineSnapshot(`
      [
        {
          "content": [
            {
              "text": "What is the weather in Paris and Oslo?",
              "type": "input_text",
            },
          ],
          "role": "user",
          "type": "message",
        },
        {
          "arguments": "{"city":"Paris"}",
          "call_id": "call_a",
          "name": "get_weather",
          "type": "function_call",
        },
        {
          "arguments": "{}",
          "call_id": "call_b",
          "name": "get_weather",
          "type": "function_call",
        },
        {
          "call_id": "call_a",
          "output": "18°C",
          "type": "function_call_output",
        },
        {
          "call_id": "call_b",
          "output": "9°C",
          "type": "function_call_output",
        },
        {
          "content": [
            {
              "text": "Paris 18°C, Oslo 9°C.",
              "type": "output_text",
            },
          ],
          "role": "assistant",
          "type": "message",
        },
        {
          "content": [
            {
              "refusal": "I will not do that.",
              "type": "refusal",
            },
          ],
          "role": "assistant",
          "type": "message",
        },
        {
          "content": [
            {
              "text": "Thanks",
              "type": "input_text",
            },
          ],
          "role": "user",
          "type": "message",
        },
      ]
    `)
  })

  it('omits an empty assistant message that only carries tool calls, and generates missing call ids', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [
          user('x'),
          { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'f' } }] },
        ],
      }),
    )
    expect(result.request.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
      { type: 'function_call', call_id: 'call_0', name: 'f', arguments: '{}' },
    ])
  })

  it('maps images with a default detail and keeps explicit detail', () => {
    const result = ok(translateChatRequest(imageInput))
    expect(result.request.input).toMatchInlineSnapshot(`
      [
        {
          "content": [
            {
              "text": "What is in these images?",
              "type": "input_text",
            },
            {
              "detail": "auto",
              "image_url": "https://upload.example.com/boardwalk.jpg",
              "type": "input_image",
            },
            {
              "detail": "low",
              "image_url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
              "type": "input_image",
            },
            {
              "detail": "auto",
              "image_url": "https://upload.example.com/plain-string.png",
              "type": "input_image",
            },
            {
              "image_url": {
                "detail": "high",
                "file_id": "file_8c3b0e9a1f2d4c5b6a7e8f9d0c1b2a3e",
              },
              "type": "image_url",
            },
          ],
          "role": "user",
          "type": "message",
        },
      ]
    `)
    expect(result.fileRefs).toMatchInlineSnapshot(`
      [
        {
          "fileId": "file_8c3b0e9a1f2d4c5b6a7e8f9d0c1b2a3e",
          "param": "messages[0].content[4]",
          "partType": "image_url",
          "path": [
            "input",
            0,
            "content",
            4,
          ],
        },
      ]
    `)
  })

  it('leaves file references intact for the file inliner and lists them', () => {
    const result = ok(
      translateChatRequest({
        model: 'gpt-5.5',
        messages: [
          user('first'),
          user([
            { type: 'text', text: 'Summarise these.' },
            { type: 'file', file: { file_id: 'file_0123456789abcdef0123456789abcdef' } },
            { type: 'file', file: { filename: 'notes.txt', file_data: 'aGVsbG8=' } },
            { type: 'input_file', file_id: 'file_fedcba9876543210fedcba9876543210' },
          ]),
        ],
      }),
    )
    const second = result.request.input[1] as { content: unknown[] }
    expect(second.content.slice(1)).toEqual([
      { type: 'file', file: { file_id: 'file_0123456789abcdef0123456789abcdef' } },
      { type: 'file', file: { filename: 'notes.txt', file_data: 'aGVsbG8=' } },
      { type: 'input_file', file_id: 'file_fedcba9876543210fedcba9876543210' },
    ])
    expect(result.fileRefs).toEqual([
      {
        path: ['input', 1, 'content', 1],
        param: 'messages[1].content[1]',
        partType: 'file',
        fileId: 'file_0123456789abcdef0123456789abcdef',
      },
      { path: ['input', 1, 'content', 2], param: 'messages[1].content[2]', partType: 'file', fileId: null },
      {
        path: ['input', 1, 'content', 3],
        param: 'messages[1].content[3]',
        partType: 'input_file',
        fileId: 'file_fedcba9876543210fedcba9876543210',
      },
    ])
  })

  it('keeps unicode text byte for byte', () => {
    const text = 'Grüße 👋🏽 — 漢字 \u0000 \u2028 "quoted"'
    const result = ok(translateChatRequest({ model: 'gpt-5.5', messages: [user(text)] }))
    expect(result.request.input[0]).toEqual({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text }],
    })
  })
})

describe('translateChatRequest: tools', () => {
  it('flattens nested, flat and legacy function tools', () => {
    const result = ok(
      translateChatRequest({
        ...base,
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather by city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
              strict: true,
            },
          },
          { type: 'function', name: 'flat_tool' },
        ],
        functions: [{ name: 'legacy_fn', description: 'Old style' }],
        function_call: { name: 'legacy_fn' },
      }),
    )
    expect(result.request.tools).toMatchInlineSnapshot(`
      [
        {
          "description": "Weather by city",
          "name": "get_weather",
          "parameters": {
            "properties": {
              "city": {
                "type": "string",
              },
            },
            "required": [
              "city",
            ],
            "type": "object",
          },
          "strict": true,
          "type": "function",
        },
        {
          "name": "flat_tool",
          "parameters": {
            "properties": {},
            "type": "object",
          },
          "type": "function",
        },
        {
          "description": "Old style",
          "name": "legacy_fn",
          "parameters": {
            "properties": {},
            "type": "object",
          },
          "type": "function",
        },
      ]
    `)
    expect(result.request.tool_choice).toEqual({ type: 'function', name: 'legacy_fn' })
    expect(result.request.parallel_tool_calls).toBe(true)
  })

  it('maps tool_choice forms and parallel_tool_calls', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }]
    const choice = (tool_choice: unknown) =>
      ok(translateChatRequest({ ...base, tools, tool_choice })).request.tool_choice
    expect(choice(undefined)).toBe('auto')
    expect(choice('none')).toBe('none')
    expect(choice('required')).toBe('required')
    expect(choice({ type: 'function', function: { name: 'f' } })).toEqual({ type: 'function', name: 'f' })
    expect(choice({ type: 'function', name: 'f' })).toEqual({ type: 'function', name: 'f' })
    expect(
      ok(translateChatRequest({ ...base, tools, parallel_tool_calls: false })).request.parallel_tool_calls,
    ).toBe(false)
  })

  it('sends tool_choice "none" and no parallel_tool_calls without tools', () => {
    const result = ok(translateChatRequest({ ...base, parallel_tool_calls: true }))
    expect(result.request.tools).toEqual([])
    expect(result.request.tool_choice).toBe('none')
    expect(result.request).not.toHaveProperty('parallel_tool_calls')
  })

  it('shortens names over 64 characters deterministically, everywhere, and maps them back', () => {
    const long = `mcp__filesystem_server__${'read_a_very_long_named_resource_'.repeat(3)}end`
    const other = `${long}_v2`
    const body = {
      model: 'gpt-5.5',
      messages: [
        user('x'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: long, arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ],
      tools: [
        { type: 'function', function: { name: long } },
        { type: 'function', function: { name: other } },
        { type: 'function', function: { name: 'short' } },
      ],
      tool_choice: { type: 'function', function: { name: long } },
    }
    const result = ok(translateChatRequest(body))
    const [a, b, c] = result.request.tools as { name: string }[]
    expect(a?.name).toHaveLength(64)
    expect(b?.name).toHaveLength(64)
    expect(a?.name).not.toBe(b?.name)
    expect(a?.name.startsWith('mcp__filesystem_server__')).toBe(true)
    expect(a?.name.endsWith('_end')).toBe(true)
    expect(c?.name).toBe('short')
    expect((result.request.input[1] as { name: string }).name).toBe(a?.name)
    expect(result.request.tool_choice).toEqual({ type: 'function', name: a?.name })
    expect(result.context.toolNameMap).toEqual({ [a?.name as string]: long, [b?.name as string]: other })
    expect(result.adaptations).toEqual([
      {
        code: 'tool_names_shortened',
        count: 2,
        message:
          'Shortened 2 function name(s) longer than 64 characters; they are mapped back in the response.',
      },
    ])
    expect(ok(translateChatRequest(structuredClone(body))).request.tools).toEqual(result.request.tools)
  })
})

describe('translateChatRequest: response_format', () => {
  it('ignores text and maps json_schema with the normalised schema', () => {
    expect(
      ok(translateChatRequest({ ...base, response_format: { type: 'text' } })).request,
    ).not.toHaveProperty('text')
    const result = ok(translateChatRequest(jsonSchemaRequest))
    expect(result.request.text).toMatchInlineSnapshot(`
      {
        "format": {
          "name": "contact",
          "schema": {
            "$defs": {
              "tag": {
                "additionalProperties": false,
                "properties": {
                  "label": {
                    "type": "string",
                  },
                  "weight": {
                    "type": [
                      "number",
                      "null",
                    ],
                  },
                },
                "required": [
                  "label",
                  "weight",
                ],
                "type": "object",
              },
            },
            "additionalProperties": false,
            "properties": {
              "address": {
                "additionalProperties": false,
                "properties": {
                  "city": {
                    "type": "string",
                  },
                  "zip": {
                    "type": [
                      "string",
                      "integer",
                      "null",
                    ],
                  },
                },
                "required": [
                  "city",
                  "zip",
                ],
                "type": [
                  "object",
                  "null",
                ],
              },
              "email": {
                "format": "email",
                "type": [
                  "string",
                  "null",
                ],
              },
              "links": {
                "prefixItems": [
                  {
                    "additionalProperties": false,
                    "properties": {
                      "href": {
                        "type": [
                          "string",
                          "null",
                        ],
                      },
                    },
                    "required": [
                      "href",
                    ],
                    "type": "object",
                  },
                ],
                "type": [
                  "array",
                  "null",
                ],
              },
              "name": {
                "type": "string",
              },
              "nickname": {
                "anyOf": [
                  {
                    "type": "string",
                  },
                  {
                    "type": "integer",
                  },
                  {
                    "type": "null",
                  },
                ],
              },
              "pinned": {
                "anyOf": [
                  {
                    "const": true,
                  },
                  {
                    "type": "null",
                  },
                ],
              },
              "role": {
                "enum": [
                  "author",
                  "mathematician",
                  null,
                ],
                "type": [
                  "string",
                  "null",
                ],
              },
              "tags": {
                "items": {
                  "$ref": "#/$defs/tag",
                },
                "type": [
                  "array",
                  "null",
                ],
              },
            },
            "required": [
              "name",
              "email",
              "role",
              "address",
              "tags",
              "nickname",
              "pinned",
              "links",
              "legacy_id",
            ],
            "type": "object",
          },
          "strict": true,
          "type": "json_schema",
        },
      }
    `)
  })

  it('maps JSON mode (json_object) to a non-strict json_schema format for any object', () => {
    expect(
      ok(translateChatRequest({ ...base, response_format: { type: 'json_object' } })).request.text,
    ).toEqual({
      format: { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false },
    })
  })

  it('rejects unknown types and incompatible schemas', () => {
    expect(fail(translateChatRequest({ ...base, response_format: { type: 'xml' } }))).toMatchInlineSnapshot(`
      {
        "code": "unsupported_value",
        "message": "Unsupported \`response_format.type\` value.",
        "param": "response_format.type",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
    expect(
      fail(
        translateChatRequest({
          ...base,
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'x',
              schema: {
                type: 'object',
                properties: { inner: { type: 'object', properties: {}, additionalProperties: true } },
              },
            },
          },
        }),
      ),
    ).toMatchInlineSnapshot(`
      {
        "code": "unsupported_value",
        "message": "The subscription backend requires every object schema to set \`additionalProperties\` to \`false\`; incompatible value at \`$.properties.inner\`.",
        "param": "response_format.json_schema.schema",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
    expect(
      fail(
        translateChatRequest({
          ...base,
          response_format: { type: 'json_schema', json_schema: { schema: {} } },
        }),
      ),
    ).toMatchInlineSnapshot(`
      {
        "code": "invalid_value",
        "message": "\`response_format.json_schema.name\` must be a non-empty string.",
        "param": "response_format.json_schema.name",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
    expect(
      fail(
        translateChatRequest({
          ...base,
          response_format: { type: 'json_schema', json_schema: { name: 'x' } },
        }),
      ),
    ).toMatchInlineSnapshot(`
      {
        "code": "invalid_type",
        "message": "\`response_format.json_schema.schema\` must be a JSON schema object.",
        "param": "response_format.json_schema.schema",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
  })
})

describe('translateChatRequest: reasoning, verbosity, session, service tier', () => {
  it('maps reasoning_effort (case-normalised; null means absent) and includes encrypted reasoning', () => {
    const high = ok(translateChatRequest({ ...base, reasoning_effort: ' HIGH ' })).request
    expect(high.reasoning).toEqual({ effort: 'high', summary: 'auto' })
    expect(high.include).toEqual(['reasoning.encrypted_content'])
    const none = ok(translateChatRequest({ ...base, reasoning_effort: 'none' })).request
    expect(none.reasoning).toEqual({ effort: 'none' })
    expect(none.include).toEqual([])
    const absent = ok(translateChatRequest({ ...base, reasoning_effort: null })).request
    expect(absent).not.toHaveProperty('reasoning')
    expect(absent.include).toEqual([])
    const object = ok(
      translateChatRequest({ ...base, reasoning: { effort: 'low', summary: 'detailed' } }),
    ).request
    expect(object.reasoning).toEqual({ effort: 'low', summary: 'detailed' })
  })

  it('maps verbosity to text.verbosity', () => {
    expect(ok(translateChatRequest({ ...base, verbosity: 'Low' })).request.text).toEqual({ verbosity: 'low' })
  })

  it('takes the session id from conversation, then prompt_cache_key, then user, then the first turns', () => {
    expect(
      ok(translateChatRequest({ ...base, conversation: 'conv_1', prompt_cache_key: 'k' })).sessionId,
    ).toBe('conv_1')
    expect(ok(translateChatRequest({ ...base, conversation: { id: 'conv_2' } })).sessionId).toBe('conv_2')
    const keyed = ok(translateChatRequest({ ...base, prompt_cache_key: 'my-key', user: 'u1' }))
    expect(keyed.sessionId).toBe('my-key')
    expect(keyed.request.prompt_cache_key).toBe('my-key')
    expect(keyed.request).not.toHaveProperty('user')
    const byUser = ok(translateChatRequest({ ...base, user: 'u1' }))
    expect(byUser.sessionId).toMatch(/^airelays-user-[0-9a-f]{32}$/)
    expect(byUser.sessionId).not.toContain('u1')
    expect(byUser.request.prompt_cache_key).toBe(byUser.sessionId)
    expect(byUser.request).not.toHaveProperty('user')
    expect(byUser.ignoredParameters).toEqual(['user'])
    // the same user in another conversation keeps the session; another user gets another one
    const sameUser = ok(translateChatRequest({ ...base, messages: [user('Other')], user: 'u1' }))
    expect(sameUser.sessionId).toBe(byUser.sessionId)
    expect(ok(translateChatRequest({ ...base, user: 'u2' })).sessionId).not.toBe(byUser.sessionId)
    // safety_identifier stands in for user; a blank user falls through to the first turns
    expect(ok(translateChatRequest({ ...base, safety_identifier: 'u1' })).sessionId).toBe(byUser.sessionId)
    expect(ok(translateChatRequest({ ...base, user: ' ' })).sessionId).toBe(
      ok(translateChatRequest(base)).sessionId,
    )
    expect(fail(translateChatRequest({ ...base, conversation: 42 }))).toMatchInlineSnapshot(`
      {
        "code": "invalid_type",
        "message": "\`conversation\` must be a non-empty string or an object with a non-empty string \`id\`.",
        "param": "conversation",
        "status": 400,
        "type": "invalid_request_error",
      }
    `)
  })

  it('forwards service_tier "priority" only', () => {
    const priority = ok(translateChatRequest({ ...base, service_tier: 'priority' }))
    expect(priority.request.service_tier).toBe('priority')
    expect(priority.ignoredParameters).toEqual([])
    const auto = ok(translateChatRequest({ ...base, service_tier: 'auto' }))
    expect(auto.request).not.toHaveProperty('service_tier')
    expect(auto.ignoredParameters).toEqual(['service_tier'])
  })
})

describe('translateChatRequest: stripped parameters', () => {
  it('removes and reports them in the fixed order, even when null', () => {
    const result = ok(
      translateChatRequest({
        ...base,
        user: 'someone',
        stop: ['\n'],
        seed: null,
        metadata: { a: '1' },
        logit_bias: { 50256: -100 },
        max_tokens: 10,
        max_completion_tokens: null,
        frequency_penalty: 0,
        presence_penalty: 0.5,
        top_p: 1,
        temperature: null,
        safety_identifier: 'abc',
        prompt_cache_retention: '24h',
        x_custom_field: true,
      }),
    )
    expect(result.ignoredParameters).toEqual([
      'temperature',
      'top_p',
      'presence_penalty',
      'frequency_penalty',
      'max_completion_tokens',
      'max_tokens',
      'logit_bias',
      'metadata',
      'prompt_cache_retention',
      'safety_identifier',
      'seed',
      'user',
      'x_custom_field',
    ])
    for (const name of result.ignoredParameters) expect(result.request).not.toHaveProperty(name)
    // `stop` is honoured locally (on the output), so it is neither sent nor reported.
    expect(result.request).not.toHaveProperty('stop')
    expect(result.context.stop).toEqual(['\n'])
  })

  it('does not report parameters whose value is honoured', () => {
    const result = ok(
      translateChatRequest({
        ...base,
        n: 1,
        store: false,
        logprobs: false,
        top_logprobs: 0,
        modalities: ['text'],
        stream: false,
        stream_options: null,
      }),
    )
    expect(result.ignoredParameters).toEqual([])
    expect(Object.keys(result.request)).toEqual([
      'model',
      'instructions',
      'input',
      'tools',
      'tool_choice',
      'include',
      'store',
      'stream',
      'prompt_cache_key',
    ])
  })
})

describe('translateChatRequest: validation errors', () => {
  const cases: [string, unknown, { noTools?: boolean }?][] = [
    ['a non-object body', [1, 2]],
    ['a missing model', { messages: [user('x')] }],
    ['an empty model', { model: ' ', messages: [user('x')] }],
    ['missing messages', { model: 'm' }],
    ['empty messages', { model: 'm', messages: [] }],
    ['a non-object message', { model: 'm', messages: ['hi'] }],
    ['a missing role', { model: 'm', messages: [{ content: 'x' }] }],
    ['an unknown role', { model: 'm', messages: [user('x'), { role: 'function', name: 'f', content: 'x' }] }],
    ['a user message without content', { model: 'm', messages: [{ role: 'user' }] }],
    [
      'an unsupported content part',
      { model: 'm', messages: [user('a'), user([{ type: 'input_audio', input_audio: {} }])] },
    ],
    ['a refusal part from the user', { model: 'm', messages: [user([{ type: 'refusal', refusal: 'no' }])] }],
    ['an image without url', { model: 'm', messages: [user([{ type: 'image_url', image_url: {} }])] }],
    ['a text part without text', { model: 'm', messages: [user([{ type: 'text' }])] }],
    [
      'a tool message without tool_call_id',
      { model: 'm', messages: [user('x'), { role: 'tool', content: 'r' }] },
    ],
    [
      'a tool result without a matching call',
      { model: 'm', messages: [user('x'), { role: 'tool', tool_call_id: 'nope', content: 'r' }] },
    ],
    ['n > 1', { ...base, n: 2 }],
    ['store true', { ...base, store: true }],
    ['logprobs true', { ...base, logprobs: true, top_logprobs: 3 }],
    ['audio output', { ...base, audio: { voice: 'alloy', format: 'mp3' }, modalities: ['text', 'audio'] }],
    ['a prediction', { ...base, prediction: { type: 'content', content: 'x' } }],
    ['a non-function tool', { ...base, tools: [{ type: 'web_search' }] }],
    ['a tool without a name', { ...base, tools: [{ type: 'function', function: { description: 'x' } }] }],
    [
      'tool parameters that are not an object',
      { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] },
    ],
    [
      'a tool_choice naming an unknown function',
      {
        ...base,
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'g' } },
      },
    ],
    ['tool_choice "required" without tools', { ...base, tool_choice: 'required' }],
    ['a malformed tool_choice', { ...base, tool_choice: 'sometimes' }],
    [
      'a non-boolean parallel_tool_calls',
      { ...base, tools: [{ type: 'function', function: { name: 'f' } }], parallel_tool_calls: 'yes' },
    ],
    [
      'tools on the no-tools route',
      { ...base, tools: [{ type: 'function', function: { name: 'f' } }] },
      { noTools: true },
    ],
    ['a forced tool_choice on the no-tools route', { ...base, tool_choice: 'auto' }, { noTools: true }],
    ['legacy functions on the no-tools route', { ...base, functions: [{ name: 'f' }] }, { noTools: true }],
    ['a non-string reasoning_effort', { ...base, reasoning_effort: 3 }],
    ['a non-boolean stream', { ...base, stream: 'yes' }],
    ['a non-string prompt_cache_key', { ...base, prompt_cache_key: 5 }],
  ]
  it.each(cases)('rejects %s', (_name, body, options) => {
    const error = fail(translateChatRequest(body, options))
    expect(error.status).toBe(400)
    expect(error.type).toBe('invalid_request_error')
    expect(error).toMatchSnapshot()
  })

  it('accepts on the no-tools route what forces nothing', () => {
    const result = ok(
      translateChatRequest(
        { ...base, tools: [], tool_choice: 'none', function_call: 'none' },
        { noTools: true },
      ),
    )
    expect(result.request.tools).toEqual([])
    expect(result.request.tool_choice).toBe('none')
  })
})

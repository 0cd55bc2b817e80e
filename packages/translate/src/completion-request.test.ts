import { describe, expect, it } from 'vitest'
import type { TranslationResult, TranslationSuccess, ValidationError } from './index'
import { translateCompletionRequest } from './index'

function ok(result: TranslationResult): TranslationSuccess {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result
}

function fail(result: TranslationResult): ValidationError {
  if (result.ok) throw new Error('expected a validation error')
  return result.error
}

describe('translateCompletionRequest', () => {
  it('turns the prompt into one user message with tools disabled', () => {
    const result = ok(translateCompletionRequest({ model: 'gpt-5.4-mini', prompt: 'Say hi', stream: true }))
    expect(result.request).toMatchInlineSnapshot(`
      {
        "include": [],
        "input": [
          {
            "content": [
              {
                "text": "Say hi",
                "type": "input_text",
              },
            ],
            "role": "user",
            "type": "message",
          },
        ],
        "instructions": ".",
        "model": "gpt-5.4-mini",
        "parallel_tool_calls": false,
        "prompt_cache_key": "airelays-91fab74ec57c235becbec0b0d33d33fe",
        "store": false,
        "stream": true,
        "tool_choice": "none",
        "tools": [],
      }
    `)
    expect(result.context).toEqual({
      route: 'completions',
      model: 'gpt-5.4-mini',
      stream: true,
      includeUsage: false,
      toolNameMap: {},
    })
  })

  it('accepts a one-element prompt list and a missing prompt', () => {
    const text = (prompt: unknown) =>
      (
        ok(translateCompletionRequest({ model: 'm', prompt })).request.input[0] as {
          content: { text: string }[]
        }
      ).content[0]?.text
    expect(text(['only one'])).toBe('only one')
    expect(text(undefined)).toBe('')
    expect(text(null)).toBe('')
  })

  it('uses body instructions or "."', () => {
    expect(ok(translateCompletionRequest({ model: 'm', prompt: 'x' })).request.instructions).toBe('.')
    expect(
      ok(translateCompletionRequest({ model: 'm', prompt: 'x', instructions: 'Be kind.' })).request
        .instructions,
    ).toBe('Be kind.')
  })

  it('maps reasoning_effort (null means absent)', () => {
    const result = ok(translateCompletionRequest({ model: 'm', prompt: 'x', reasoning_effort: 'Medium' }))
    expect(result.request.reasoning).toEqual({ effort: 'medium', summary: 'auto' })
    expect(result.request.include).toEqual(['reasoning.encrypted_content'])
    expect(
      ok(translateCompletionRequest({ model: 'm', prompt: 'x', reasoning_effort: null })).request,
    ).not.toHaveProperty('reasoning')
  })

  it('strips and reports unsupported sampling parameters in the fixed order', () => {
    const result = ok(
      translateCompletionRequest({
        model: 'm',
        prompt: 'x',
        stop: '\n',
        max_tokens: 16,
        temperature: 0,
        user: 'u',
        metadata: null,
        echo: false,
        best_of: 1,
        logprobs: null,
        suffix: null,
        n: 1,
        stream_options: { include_usage: true },
      }),
    )
    expect(result.ignoredParameters).toEqual(['temperature', 'max_tokens', 'metadata', 'user'])
    expect(result.request).not.toHaveProperty('stop')
    expect(result.request).not.toHaveProperty('user')
    expect(result.sessionId).toMatch(/^airelays-user-[0-9a-f]{32}$/)
    expect(result.request.prompt_cache_key).toBe(result.sessionId)
    const other = ok(translateCompletionRequest({ model: 'm', prompt: 'y', user: 'u' }))
    expect(other.sessionId).toBe(result.sessionId)
    expect(ok(translateCompletionRequest({ model: 'm', prompt: 'x', user: 'v' })).sessionId).not.toBe(
      result.sessionId,
    )
    expect(result.context.stop).toEqual(['\n'])
    expect(result.context.includeUsage).toBe(true)
  })

  it('takes the session id from conversation or prompt_cache_key, else derives a stable one', () => {
    expect(
      ok(translateCompletionRequest({ model: 'm', prompt: 'x', conversation: { id: 'conv_9' } })).sessionId,
    ).toBe('conv_9')
    const a = ok(translateCompletionRequest({ model: 'm', prompt: 'x' })).sessionId
    expect(a).toMatch(/^airelays-[0-9a-f]{32}$/)
    expect(ok(translateCompletionRequest({ model: 'm', prompt: 'x' })).sessionId).toBe(a)
  })

  it.each<[string, unknown]>([
    ['a non-object body', 'prompt'],
    ['a missing model', { prompt: 'x' }],
    ['two prompts', { model: 'm', prompt: ['a', 'b'] }],
    ['token prompts', { model: 'm', prompt: [1, 2, 3] }],
    ['echo', { model: 'm', prompt: 'x', echo: true }],
    ['best_of and suffix', { model: 'm', prompt: 'x', best_of: 3, suffix: 'end' }],
    ['logprobs', { model: 'm', prompt: 'x', logprobs: 2 }],
    ['n > 1', { model: 'm', prompt: 'x', n: 4 }],
    ['store true', { model: 'm', prompt: 'x', store: true }],
  ])('rejects %s', (_name, body) => {
    expect(fail(translateCompletionRequest(body))).toMatchSnapshot()
  })
})

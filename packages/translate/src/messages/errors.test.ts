import { describe, expect, it } from 'vitest'
import { anthropicErrorType, toAnthropicError } from './errors'

describe('toAnthropicError', () => {
  it('picks the error type by status', () => {
    const types = [400, 401, 403, 404, 413, 429, 500, 529, 402, 408, 422, 502, 503, 504].map((s) => [
      s,
      anthropicErrorType(s),
    ])
    expect(Object.fromEntries(types)).toEqual({
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      500: 'api_error',
      529: 'overloaded_error',
      402: 'billing_error',
      408: 'timeout_error',
      422: 'invalid_request_error',
      502: 'api_error',
      503: 'overloaded_error',
      504: 'timeout_error',
    })
  })

  it('builds the envelope with the request id', () => {
    expect(
      toAnthropicError({
        status: 401,
        code: 'invalid_token',
        message: 'Invalid relay token.',
        requestId: 'req_1',
      }),
    ).toEqual({
      status: 401,
      body: {
        type: 'error',
        error: { type: 'authentication_error', message: 'Invalid relay token.' },
        request_id: 'req_1',
      },
    })
    expect(toAnthropicError({ status: 429, message: 'Too many requests.' }).body).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Too many requests.' },
      request_id: null,
    })
  })

  it('turns a context overflow into a 400 whose message starts "prompt is too long:"', () => {
    expect(
      toAnthropicError({
        status: 400,
        code: 'context_length_exceeded',
        message: 'Your input exceeds the context window of this model.',
      }),
    ).toMatchObject({
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          message: 'prompt is too long: Your input exceeds the context window of this model.',
        },
      },
    })
    expect(
      toAnthropicError({
        status: 502,
        message: 'Your input exceeds the context window of this model',
        promptTokens: 280000,
        contextWindow: 272000,
      }).body.error,
    ).toEqual({
      type: 'invalid_request_error',
      message: 'prompt is too long: 280000 tokens > 272000 maximum',
    })
  })

  it('turns overloads into 529 overloaded_error', () => {
    expect(toAnthropicError({ status: 502, code: 'server_is_overloaded', message: 'busy' })).toMatchObject({
      status: 529,
      body: { error: { type: 'overloaded_error', message: 'busy' } },
    })
    expect(toAnthropicError({ status: 503 })).toMatchObject({
      status: 529,
      body: { error: { message: 'Overloaded' } },
    })
  })
})

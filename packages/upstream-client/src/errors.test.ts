import { describe, expect, it } from 'vitest'
import { classifyUpstreamError, isUpstreamError, UpstreamError } from './errors'

describe('classifyUpstreamError', () => {
  it.each([
    [{ error: { type: 'usage_limit_reached', resets_in_seconds: 10 } }, 429, 'quota'],
    [{ error: { code: 'rate_limit_reached' } }, 429, 'quota'],
    [{ error: { code: 'rate_limit_exceeded' } }, null, 'quota'],
    [{ type: 'response.failed', response: { error: { code: 'insufficient_quota' } } }, null, 'quota'],
    [{ error: { type: 'usage_limit_reached' } }, 404, 'quota'],
    [{ error: { type: 'invalid_request_error', message: 'x' } }, 400, 'client'],
    [{ error: { code: 'context_length_exceeded' } }, null, 'client'],
    [{ type: 'error', code: 'unsupported_parameter', message: 'x' }, null, 'client'],
    [{ error: { message: 'bad', param: 'input' } }, 500, 'client'],
    [{ detail: 'Unsupported parameter: temperature' }, 400, 'client'],
    [{ detail: 'Unauthorized' }, 401, 'auth'],
    [{ error: { code: 'server_is_overloaded' } }, 503, 'transient'],
    [{ error: { message: 'x', param: '' } }, 500, 'transient'],
    [{}, 403, 'transient'],
    [{}, 429, 'transient'],
    [{}, null, 'transient'],
  ] as const)('%j with status %s → %s', (payload, status, kind) => {
    expect(classifyUpstreamError(payload, status)).toBe(kind)
  })
})

describe('UpstreamError', () => {
  it('derives kind and relay status from the code', () => {
    expect(new UpstreamError({ code: 'usage_limit', message: 'x' })).toMatchObject({
      kind: 'quota',
      status: 429,
    })
    expect(new UpstreamError({ code: 'bad_request', message: 'x', upstreamStatus: 404 })).toMatchObject({
      kind: 'client',
      status: 404,
    })
    expect(new UpstreamError({ code: 'auth_missing', message: 'x' })).toMatchObject({
      kind: 'auth',
      status: 503,
    })
    expect(new UpstreamError({ code: 'timeout', message: 'x' })).toMatchObject({
      kind: 'transient',
      status: 504,
    })
    expect(new UpstreamError({ code: 'aborted', message: 'x' }).status).toBe(499)
    expect(new UpstreamError({ code: 'upstream_http_error', message: 'x', upstreamStatus: 500 }).status).toBe(
      502,
    )
  })

  it('is recognised by the brand, not by instanceof', () => {
    const error = new UpstreamError({ code: 'stream_failed', message: 'boom' })
    expect(isUpstreamError(error)).toBe(true)
    expect(isUpstreamError(new Error('x'))).toBe(false)
    expect(isUpstreamError({ code: 'stream_failed' })).toBe(false)
    expect(isUpstreamError(null)).toBe(false)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('UpstreamError')
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'stream_failed', message: 'boom' })
  })
})

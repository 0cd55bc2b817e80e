import { FileInlinerError } from '@airelays/file-inliner'
import { UpstreamError } from '@airelays/upstream-client'
import { describe, expect, it } from 'vitest'
import * as server from '../src/index'

describe('export surface', () => {
  it('is exactly the documented API', () => {
    expect(Object.keys(server).sort()).toEqual([
      'RELAY_VERSION',
      'RelayError',
      'createRelayApp',
      'isRelayError',
      'serveRelay',
      'toRelayError',
      'trafficLogFiles',
    ])
  })

  it('RelayError serialises to the four-key envelope and is recognised by brand', () => {
    const error = new server.RelayError({
      status: 404,
      message: 'x',
      type: 'invalid_request_error',
      code: 'not_found',
    })
    expect(error.toJSON()).toEqual({
      error: { message: 'x', type: 'invalid_request_error', param: null, code: 'not_found' },
    })
    expect(server.isRelayError(error)).toBe(true)
    expect(server.isRelayError(new Error('x'))).toBe(false)
    expect(server.toRelayError(new Error('secret detail')).toJSON().error).toEqual({
      message: 'The AIRelays server hit an unexpected error. The details are in its log.',
      type: 'server_error',
      param: null,
      code: 'server_error',
    })
  })

  it('toRelayError gives library errors the status and code the relay answers them with', () => {
    const timeout = server.toRelayError(new UpstreamError({ code: 'timeout', message: 'slow' }), {
      upstreamTimeoutSeconds: 30,
    })
    expect([timeout.status, timeout.code, timeout.message]).toEqual([
      504,
      'upstream_timeout',
      'The upstream did not answer within 30 seconds.',
    ])
    const missing = server.toRelayError(
      new FileInlinerError({ code: 'file_not_found', status: 404, message: 'Unknown file id `x`.' }),
    )
    expect(missing.toJSON().error).toEqual({
      message: 'Unknown file id `x`.',
      type: 'invalid_request_error',
      param: null,
      code: 'file_not_found',
    })
    const aborted = new DOMException('The operation was aborted.', 'AbortError')
    expect(server.toRelayError(aborted).code).toBe('client_closed_request')
    expect(server.toRelayError(aborted, { shuttingDown: true }).code).toBe('server_shutting_down')
  })
})

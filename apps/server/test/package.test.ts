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
})

import { describe, expect, it } from 'vitest'
import {
  canonicalAddress,
  clientKey,
  createAddressMatcher,
  forwardedClientAddress,
  isLoopbackAddress,
} from './address'
import { isRateLimiterError } from './errors'

describe('canonicalAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['[::ffff:a00:1]', '10.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['[::1]', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
  ])('%s -> %s', (text, expected) => {
    expect(canonicalAddress(text)).toBe(expected)
  })

  it.each([
    '',
    'localhost',
    'example.com',
    ' 1.2.3.4',
    '1.2.3.4:80',
    '1.2.3.256',
    '[1.2.3.4]',
    '1.2.3.4/8',
    'x'.repeat(80),
  ])('%j is not an address', (text) => {
    expect(canonicalAddress(text)).toBeNull()
  })
})

describe('clientKey (issue 26, item 8)', () => {
  it('every loopback spelling is one client', () => {
    const keys = new Set(
      [
        '127.0.0.1',
        '127.0.0.2',
        '127.9.8.7',
        '127.255.255.254',
        '::1',
        '::ffff:127.0.0.5',
        '127.1',
        '0x7f000001',
      ].map(clientKey),
    )
    expect([...keys]).toEqual(['127.0.0.1'])
  })

  it('other addresses are canonical, and text that is no address is kept', () => {
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(clientKey('2001:DB8::0:1')).toBe('2001:db8::1')
    expect(clientKey('unknown')).toBe('unknown')
  })

  it('isLoopbackAddress agrees with the key', () => {
    expect(isLoopbackAddress('0x7f.1')).toBe(true)
    expect(isLoopbackAddress('::2')).toBe(false)
  })
})

describe('createAddressMatcher', () => {
  it('matches addresses and CIDR ranges of both families', () => {
    const match = createAddressMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', '192.0.2.0/31'])
    expect(match('127.0.0.1')).toBe(true)
    expect(match('::ffff:127.0.0.1')).toBe(true)
    expect(match('127.0.0.2')).toBe(false)
    expect(match('10.200.3.4')).toBe(true)
    expect(match('11.0.0.1')).toBe(false)
    expect(match('fd12::5')).toBe(true)
    expect(match('fe80::1')).toBe(false)
    expect(match('[::1]')).toBe(true)
    expect(match('192.0.2.1')).toBe(true)
    expect(match('192.0.2.2')).toBe(false)
    expect(match('not-an-ip')).toBe(false)
  })

  it.each(['', 'proxy.local', '10.0.0.0/33', '::/129', '10.0.0.0/x', '10.1/8'])('refuses %j', (entry) => {
    let error: unknown
    try {
      createAddressMatcher([entry])
    } catch (e) {
      error = e
    }
    expect(isRateLimiterError(error) && error.code === 'ratelimit_invalid_option').toBe(true)
  })
})

describe('forwardedClientAddress (issue 26, item 3)', () => {
  // nginx appends the address it saw: `<whatever the client sent>, <real client>`.
  it('reads from the right: a client-written leftmost entry is ignored (count mode)', () => {
    expect(forwardedClientAddress('127.0.0.1', '127.0.0.1, 203.0.113.9')).toBe('203.0.113.9')
    expect(forwardedClientAddress('127.0.0.1', '198.51.100.1,203.0.113.9')).toBe('203.0.113.9')
    expect(forwardedClientAddress('127.0.0.1', '203.0.113.9')).toBe('203.0.113.9')
  })

  it('with two proxies, skips two hops', () => {
    expect(
      forwardedClientAddress('10.0.0.2', '1.1.1.1, 203.0.113.9, 10.0.0.1', { trustedProxyCount: 2 }),
    ).toBe('203.0.113.9')
    expect(forwardedClientAddress('10.0.0.2', '203.0.113.9', { trustedProxyCount: 3 })).toBe('203.0.113.9')
  })

  it('with a proxy list, skips trusted entries only, and ignores the header from an untrusted peer', () => {
    const options = { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] }
    expect(forwardedClientAddress('127.0.0.1', '127.0.0.1, 203.0.113.9, 10.1.2.3', options)).toBe(
      '203.0.113.9',
    )
    // A client spoofing a trusted address on the left cannot pass as that proxy or as loopback.
    expect(forwardedClientAddress('127.0.0.1', '10.0.0.5, 203.0.113.9', options)).toBe('203.0.113.9')
    // The header of a peer that is not a trusted proxy is the client's own words.
    expect(forwardedClientAddress('198.51.100.7', '127.0.0.1', options)).toBe('198.51.100.7')
    // All trusted: the leftmost.
    expect(forwardedClientAddress('127.0.0.1', '10.0.0.9', options)).toBe('10.0.0.9')
  })

  it('garbage cannot mint fresh keys: the walk stops at the trusted hop to its right', () => {
    expect(forwardedClientAddress('127.0.0.1', 'random-123')).toBe('127.0.0.1')
    expect(forwardedClientAddress('127.0.0.1', `x, ${'a'.repeat(20_000)}`)).toBe('127.0.0.1')
    expect(forwardedClientAddress('127.0.0.1', '')).toBe('127.0.0.1')
    expect(forwardedClientAddress('::ffff:127.0.0.1', null)).toBe('127.0.0.1')
  })
})

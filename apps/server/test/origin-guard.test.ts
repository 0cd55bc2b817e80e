// The pure rules behind the browser checks (the wire behaviour is in browser-guard.test.ts).
import { describe, expect, it } from 'vitest'
import { type HostLookup, judgeBind } from '../src/security/bind-address'
import { checkBrowserHeaders, hostnameOfHost, isLoopbackHostname } from '../src/security/origin-guard'

describe('judgeBind (config.server.host, judged once at start)', () => {
  /** A lookup that answers `addresses` (or throws) and counts its calls. */
  const fakeLookup = (addresses: string[] | Error) => {
    const calls: string[] = []
    const lookup: HostLookup = async (name) => {
      calls.push(name)
      if (addresses instanceof Error) throw addresses
      return addresses.map((address) => ({ address }))
    }
    return { calls, lookup }
  }

  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '127.1',
    '0x7f000001',
    '::1',
    '[::1]',
    'localhost',
    'LOCALHOST',
    ' 127.0.0.1 ',
    '::ffff:127.0.0.1',
  ])('%s is loopback only, without a lookup', async (host) => {
    const { calls, lookup } = fakeLookup(new Error('no lookup expected'))
    expect((await judgeBind(host, lookup)).loopbackOnly).toBe(true)
    expect(calls).toEqual([])
  })

  it.each(['0.0.0.0', '::', '[::]', '192.168.1.10', '10.0.0.1', ''])(
    '%s is not, without a lookup',
    async (host) => {
      const { calls, lookup } = fakeLookup(new Error('no lookup expected'))
      expect((await judgeBind(host, lookup)).loopbackOnly).toBe(false)
      expect(calls).toEqual([])
    },
  )

  it('a name is judged on every address it resolves to', async () => {
    const loop = fakeLookup(['127.0.0.1', '::1'])
    expect(await judgeBind('localhost-alias', loop.lookup)).toEqual({
      address: '127.0.0.1',
      loopbackOnly: true,
    })
    expect(loop.calls).toEqual(['localhost-alias'])
    const mixed = fakeLookup(['127.0.0.1', '192.168.1.10'])
    expect(await judgeBind('my-laptop.lan', mixed.lookup)).toEqual({
      address: 'my-laptop.lan',
      loopbackOnly: false,
    })
    // Unresolvable: the check stays on (the safe side).
    const failing = fakeLookup(new Error('ENOTFOUND'))
    expect((await judgeBind('nowhere.invalid', failing.lookup)).loopbackOnly).toBe(true)
  })
})

describe('host names', () => {
  it('loopback names and addresses', () => {
    for (const name of ['localhost', 'localhost.', 'a.b.localhost', '127.0.0.1', '127.255.0.9', '[::1]'])
      expect(isLoopbackHostname(name), name).toBe(true)
    for (const name of ['localhost.example', 'notlocalhost', '128.0.0.1', '0.0.0.0', '[::]', 'evil.example'])
      expect(isLoopbackHostname(name), name).toBe(false)
  })

  it('Host header parsing refuses user info, paths and broken brackets', () => {
    expect(hostnameOfHost('127.0.0.1:8080')).toBe('127.0.0.1')
    expect(hostnameOfHost('[::1]:8080')).toBe('[::1]')
    expect(hostnameOfHost('LocalHost:1')).toBe('localhost')
    for (const bad of ['', 'a@127.0.0.1', '127.0.0.1/x', '[::1', 'a b', 'host:port:x', '127.0.0.1#x'])
      expect(hostnameOfHost(bad), bad).toBeNull()
  })
})

describe('checkBrowserHeaders', () => {
  const none = { origin: null, host: null, secFetchSite: null }

  it('lets non-browser requests through on either kind of bind', () => {
    for (const loopbackOnly of [true, false]) {
      expect(checkBrowserHeaders(none, loopbackOnly)).toBeNull()
      expect(checkBrowserHeaders({ ...none, host: '127.0.0.1:8080' }, loopbackOnly)).toBeNull()
    }
  })

  it('checks Host only on a loopback bind', () => {
    const rebound = { ...none, host: 'rebound.example:8080' }
    expect(checkBrowserHeaders(rebound, true)?.reason).toBe('host_not_allowed')
    expect(checkBrowserHeaders(rebound, false)).toBeNull()
  })

  it('compares a non-loopback Origin with the Host name, ignoring ports', () => {
    const lan = { ...none, host: 'box.lan:8080' }
    expect(checkBrowserHeaders({ ...lan, origin: 'http://box.lan:3000' }, false)).toBeNull()
    expect(checkBrowserHeaders({ ...lan, origin: 'http://box.lan.evil.example' }, false)?.reason).toBe(
      'origin_not_allowed',
    )
    expect(checkBrowserHeaders({ ...none, origin: 'http://box.lan' }, false)?.reason).toBe(
      'origin_not_allowed',
    )
  })

  it('quotes at most 200 characters of a header value', () => {
    const origin = `http://${'a'.repeat(500)}.example`
    const message = checkBrowserHeaders({ ...none, origin }, true)?.error.message ?? ''
    expect(message.length).toBeLessThan(400)
    expect(message).toContain('…')
  })
})

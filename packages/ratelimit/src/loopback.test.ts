import { describe, expect, it } from 'vitest'
import { isLoopback, isLoopbackHost } from './loopback'

describe('isLoopback', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.255',
    '127.1.2.3',
    '::1',
    '0:0:0:0:0:0:0:1',
    '0000:0000:0000:0000:0000:0000:0000:0001',
    '::0001',
    '[::1]',
    '::1%lo0',
    '::ffff:127.0.0.1',
    '::FFFF:127.0.0.1',
    '::ffff:127.10.20.30',
    '0:0:0:0:0:ffff:127.0.0.1',
    '::ffff:7f00:1',
    '[::ffff:127.0.0.1]',
  ])('%s is loopback', (ip) => {
    expect(isLoopback(ip)).toBe(true)
  })

  it.each([
    'unknown',
    '',
    'localhost',
    '10.0.0.1',
    '128.0.0.1',
    '126.255.255.255',
    '0.0.0.0',
    '::',
    '::2',
    '1::1',
    '::ffff:10.0.0.1',
    '::ffff:8000:1',
    '::127.0.0.1',
    '::ffff:0:127.0.0.1',
    '2001:db8::1',
    ' 127.0.0.1',
    '127.0.0.1 ',
    '127.0.0',
    '127.0.0.1.1',
    '127.0.0.256',
    '127.0.0.-1',
    '127.0.0.1/8',
    '127.0.0.1%eth0',
    '::1::',
    ':::1',
    '::1:',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:127.0.0.1.5',
    '::ffff:127.0.0',
    '[::1',
    'fe80::1%lo0',
    'x'.repeat(100),
  ])('%j is not loopback', (ip) => {
    expect(isLoopback(ip)).toBe(false)
  })

  it('never throws on values that are not strings', () => {
    for (const value of [undefined, null, 127, {}, [], Symbol('x')]) {
      expect(isLoopback(value as unknown as string)).toBe(false)
    }
  })
})

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '[::ffff:127.0.0.1]',
    '::ffff:7f00:1',
    '[::ffff:7f00:1]',
    'localhost',
    'LOCALHOST',
    'localhost.',
    'a.b.localhost',
    ' 127.0.0.1 ',
  ])('%j is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  it.each([
    '0.0.0.0',
    '::',
    '[::]',
    '192.168.1.2',
    '10.0.0.1',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'example.com',
    'my-laptop.lan',
    'localhost.example',
    'notlocalhost',
    '',
  ])('%j is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })

  it('never throws on values that are not strings', () => {
    for (const value of [undefined, null, 127, {}, []]) {
      expect(isLoopbackHost(value as unknown as string)).toBe(false)
    }
  })
})

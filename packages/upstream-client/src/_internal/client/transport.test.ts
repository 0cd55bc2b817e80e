import { describe, expect, it } from 'vitest'
import type { ClientContext } from './context'
import { authorizationOf } from './transport'

describe('authorizationOf', () => {
  it('follows the access token: a new token gives its own value, never the previous one', () => {
    const ctx = {} as ClientContext
    expect(authorizationOf(ctx, 'token-a')).toBe('Bearer token-a')
    expect(authorizationOf(ctx, 'token-a')).toBe('Bearer token-a')
    expect(authorizationOf(ctx, 'token-b')).toBe('Bearer token-b')
    expect(authorizationOf(ctx, 'token-a')).toBe('Bearer token-a')
  })

  it('keeps one value per client', () => {
    const one = {} as ClientContext
    const two = {} as ClientContext
    expect(authorizationOf(one, 'first')).toBe('Bearer first')
    expect(authorizationOf(two, 'second')).toBe('Bearer second')
    expect(authorizationOf(one, 'first')).toBe('Bearer first')
  })
})

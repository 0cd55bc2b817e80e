import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuthStoreError, isAuthStoreError } from './errors'
import { DEFAULT_SLOT, isValidSlot, slotDirectory } from './slots'

describe('AuthStoreError', () => {
  it('carries a stable code, path, slot and reason', () => {
    const error = new AuthStoreError('auth_file_corrupt', 'broken', {
      path: '/x/auth.json',
      slot: 'default',
      reason: 'r',
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AuthStoreError')
    expect(error).toMatchObject({
      code: 'auth_file_corrupt',
      path: '/x/auth.json',
      slot: 'default',
      reason: 'r',
    })
  })

  it('is recognised by its brand, also from another copy of the package, and not by shape alone', () => {
    expect(isAuthStoreError(new AuthStoreError('lock_timeout', 'x'))).toBe(true)
    const foreign = Object.assign(new Error('x'), { code: 'lock_timeout' })
    expect(isAuthStoreError(foreign)).toBe(false)
    Object.defineProperty(foreign, Symbol.for('@airelays/auth-store.AuthStoreError'), { value: true })
    expect(isAuthStoreError(foreign)).toBe(true)
    expect(isAuthStoreError(null)).toBe(false)
    expect(isAuthStoreError('lock_timeout')).toBe(false)
  })
})

describe('slots', () => {
  it('maps the default slot to the data dir and others to accounts/<slug>', () => {
    expect(slotDirectory('/d', DEFAULT_SLOT)).toBe('/d')
    expect(slotDirectory('/d', 'alice-0123456789')).toBe(join('/d', 'accounts', 'alice-0123456789'))
  })

  it('accepts Python-style slugs and rejects path tricks', () => {
    expect(isValidSlot('dev-example-com-0a1b2c3d4e')).toBe(true)
    expect(isValidSlot('default')).toBe(true)
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '.staging-12', ' x', 'x'.repeat(129), 7, null]) {
      expect(isValidSlot(bad), String(bad)).toBe(false)
    }
    expect(() => slotDirectory('/d', '../etc')).toThrow(AuthStoreError)
  })
})

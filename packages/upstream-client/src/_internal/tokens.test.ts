import type { Dispatcher } from 'undici'
import { describe, expect, it } from 'vitest'
import type { CredentialStore, StoredAuth } from '../types'
import { ExpiryCache, needsRefresh, normalizeStoredAuth, TokenManager } from './tokens'

const jwt = (payload: unknown): string =>
  `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`

const auth = (access: string, lastRefresh: string | null): StoredAuth => ({
  bound_account_id: 'acct',
  tokens: { id_token: '', access_token: access, refresh_token: 'rt', account_id: 'acct' },
  last_refresh: lastRefresh,
})

describe('needsRefresh', () => {
  const now = Date.UTC(2026, 0, 10)
  const recent = new Date(now - 60_000).toISOString()

  it('refreshes when the access token is missing or expired (with a small skew)', () => {
    expect(needsRefresh(auth('', recent), now)).toBe(true)
    expect(needsRefresh(auth(jwt({ exp: now / 1000 - 1 }), recent), now)).toBe(true)
    expect(needsRefresh(auth(jwt({ exp: now / 1000 + 10 }), recent), now)).toBe(true)
    expect(needsRefresh(auth(jwt({ exp: now / 1000 + 3600 }), recent), now)).toBe(false)
  })

  it('refreshes when last_refresh is unknown or older than 8 days', () => {
    const fresh = jwt({ exp: now / 1000 + 3600 })
    expect(needsRefresh(auth(fresh, null), now)).toBe(true)
    expect(needsRefresh(auth(fresh, 'not a date'), now)).toBe(true)
    expect(needsRefresh(auth(fresh, new Date(now - 8 * 86_400_000 - 1000).toISOString()), now)).toBe(true)
    expect(needsRefresh(auth(fresh, new Date(now - 7 * 86_400_000).toISOString()), now)).toBe(false)
  })
})

describe('ExpiryCache', () => {
  it('decodes each token once and keeps nothing across instances', () => {
    const a = new ExpiryCache()
    const b = new ExpiryCache()
    const first = jwt({ exp: 100 })
    const second = jwt({ exp: 200 })
    expect(a.expiryOf(first)).toBe(100)
    expect(b.expiryOf(second)).toBe(200)
    expect(a.expiryOf(first)).toBe(100)
    expect(a.expiryOf(second)).toBe(200)
    expect(a.expiryOf('not a jwt')).toBeUndefined()
  })
})

describe('normalizeStoredAuth', () => {
  it('treats unusable values as no login', () => {
    expect(normalizeStoredAuth(null)).toBeNull()
    expect(normalizeStoredAuth({})).toBeNull()
    expect(normalizeStoredAuth({ tokens: { id_token: 'x' } })).toBeNull()
    expect(normalizeStoredAuth({ tokens: { refresh_token: 'r' } })?.tokens.access_token).toBe('')
  })
})

describe('TokenManager.ready', () => {
  const now = Date.UTC(2026, 0, 10)
  const current = (): StoredAuth =>
    auth(jwt({ exp: now / 1000 + 3600 }), new Date(now - 60_000).toISOString())
  const managerOf = (store: CredentialStore): TokenManager =>
    new TokenManager({
      store,
      // Never used: the tokens are fresh, so nothing is refreshed.
      dispatcher: {} as Dispatcher,
      issuerUrl: 'http://127.0.0.1:9',
      clientId: 'client',
      headers: {},
      clock: () => now,
      hint: () => '',
      onRefresh: () => {},
    })

  it('reuses its validation while a caching store returns the same object, and follows a new one', async () => {
    let value: StoredAuth | null = current()
    const tokens = managerOf({ load: async () => value, save: async () => {} })
    const first = await tokens.ready()
    expect(await tokens.ready()).toBe(first)
    value = { ...current(), tokens: { ...current().tokens, access_token: jwt({ exp: now / 1000 + 7200 }) } }
    const second = await tokens.ready()
    expect(second).not.toBe(first)
    expect(second.accessToken).toBe(value.tokens.access_token)
    value = null
    await expect(tokens.ready()).rejects.toMatchObject({ code: 'auth_missing' })
  })

  it('validates every value of a store that returns a fresh copy each time', async () => {
    const tokens = managerOf({ load: async () => current(), save: async () => {} })
    const first = await tokens.ready()
    const second = await tokens.ready()
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
  })
})

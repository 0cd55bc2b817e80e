// Shared behaviour every AuthStore driver must have. Not exported from the package: each driver's
// test file calls describeAuthStore() with a factory for a fresh, empty store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { credentialStoreFor } from './credential-store'
import { isAuthStoreError } from './errors'
import { DEFAULT_SLOT } from './slots'
import type { AuthStore, StoredAuth } from './types'

export interface AuthStoreHarness {
  store: AuthStore
  /** Removes everything the store created (temp dirs, keychain entries). */
  cleanup?: () => Promise<void>
}

export interface DescribeAuthStoreOptions {
  /** Skip the whole suite (e.g. no Secret Service reachable). */
  skip?: boolean
}

/** A valid payload whose values are all derived from `tag`. */
export function sampleAuth(tag: string, overrides: Partial<StoredAuth> = {}): StoredAuth {
  return {
    bound_account_id: `acct_${tag}`,
    tokens: {
      id_token: `id.${tag}.sig`,
      access_token: `access.${tag}.sig`,
      refresh_token: `rt_${tag}`,
      account_id: `acct_${tag}`,
    },
    last_refresh: '2026-11-24T03:30:00.000Z',
    ...overrides,
  }
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isAuthStoreError(error), `expected an AuthStoreError with code ${code}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
}

export function describeAuthStore(
  name: string,
  factory: () => Promise<AuthStoreHarness> | AuthStoreHarness,
  options: DescribeAuthStoreOptions = {},
): void {
  describe.skipIf(options.skip === true)(`AuthStore conformance: ${name}`, () => {
    let harness: AuthStoreHarness
    let store: AuthStore
    const alice = 'alice-0123456789'
    const bob = 'bob-abcdef0123'

    beforeEach(async () => {
      harness = await factory()
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup?.()
    })

    it('reads a missing slot as null and lists nothing', async () => {
      expect(await store.get(DEFAULT_SLOT)).toBeNull()
      expect(await store.get(alice)).toBeNull()
      expect(await store.list()).toEqual([])
    })

    it('round-trips set/get and lists the slot', async () => {
      const auth = sampleAuth('one')
      await store.set(DEFAULT_SLOT, auth)
      expect(await store.get(DEFAULT_SLOT)).toEqual(auth)
      expect(await store.list()).toEqual([DEFAULT_SLOT])
    })

    it('returns copies: mutating a read or a saved value does not change what is stored', async () => {
      const auth = sampleAuth('copy')
      await store.set(DEFAULT_SLOT, auth)
      auth.tokens.access_token = 'mutated-after-save'
      const read = await store.get(DEFAULT_SLOT)
      expect(read?.tokens.access_token).toBe('access.copy.sig')
      if (read) read.tokens.refresh_token = 'mutated-after-read'
      expect((await store.get(DEFAULT_SLOT))?.tokens.refresh_token).toBe('rt_copy')
    })

    it('overwrites a slot', async () => {
      await store.set(DEFAULT_SLOT, sampleAuth('old'))
      await store.set(DEFAULT_SLOT, sampleAuth('new'))
      expect(await store.get(DEFAULT_SLOT)).toEqual(sampleAuth('new'))
      expect(await store.list()).toEqual([DEFAULT_SLOT])
    })

    it('keeps slots isolated and lists the default slot first, then slugs sorted', async () => {
      await store.set(bob, sampleAuth('bob'))
      await store.set(DEFAULT_SLOT, sampleAuth('root'))
      await store.set(alice, sampleAuth('alice'))
      expect(await store.get(DEFAULT_SLOT)).toEqual(sampleAuth('root'))
      expect(await store.get(alice)).toEqual(sampleAuth('alice'))
      expect(await store.get(bob)).toEqual(sampleAuth('bob'))
      expect(await store.list()).toEqual([DEFAULT_SLOT, alice, bob])
      expect(await store.delete(alice)).toBe(true)
      expect(await store.get(alice)).toBeNull()
      expect(await store.get(bob)).toEqual(sampleAuth('bob'))
      expect(await store.get(DEFAULT_SLOT)).toEqual(sampleAuth('root'))
      expect(await store.list()).toEqual([DEFAULT_SLOT, bob])
    })

    it('deletes idempotently', async () => {
      await store.set(alice, sampleAuth('gone'))
      expect(await store.delete(alice)).toBe(true)
      expect(await store.delete(alice)).toBe(false)
      expect(await store.delete(DEFAULT_SLOT)).toBe(false)
      expect(await store.get(alice)).toBeNull()
      expect(await store.list()).toEqual([])
    })

    it('stores unicode, quotes, control characters and nulls unchanged', async () => {
      const auth: StoredAuth = {
        bound_account_id: null,
        tokens: {
          id_token: 'héllo wörld 😀 中文 "quoted" \\ back\\slash',
          access_token: 'line\nbreak\ttab\u2028sep\u0000nul',
          refresh_token: 'ß'.repeat(100),
          account_id: null,
        },
        last_refresh: null,
      }
      await store.set(DEFAULT_SLOT, auth)
      expect(await store.get(DEFAULT_SLOT)).toEqual(auth)
    })

    it('stores large tokens', async () => {
      const big = (c: string) => c.repeat(16 * 1024)
      const auth = sampleAuth('big', {
        tokens: {
          id_token: big('i'),
          access_token: big('a'),
          refresh_token: big('r'),
          account_id: 'acct_big',
        },
      })
      await store.set(alice, auth)
      expect(await store.get(alice)).toEqual(auth)
    })

    it('rejects invalid credentials with auth_invalid and stores nothing', async () => {
      await expectCode(store.set(DEFAULT_SLOT, { tokens: {} } as unknown as StoredAuth), 'auth_invalid')
      await expectCode(store.set(DEFAULT_SLOT, null as unknown as StoredAuth), 'auth_invalid')
      await expectCode(
        store.set(DEFAULT_SLOT, { ...sampleAuth('x'), last_refresh: 5 } as unknown as StoredAuth),
        'auth_invalid',
      )
      expect(await store.get(DEFAULT_SLOT)).toBeNull()
    })

    it('never quotes secrets in validation errors', async () => {
      const secret = 'sk-canary-secret-value-123'
      const bad = { ...sampleAuth(secret), tokens: { ...sampleAuth(secret).tokens, refresh_token: 42 } }
      const error = await store.set(DEFAULT_SLOT, bad as unknown as StoredAuth).catch((e: unknown) => e)
      expect(isAuthStoreError(error)).toBe(true)
      expect(String((error as Error).message)).not.toContain(secret)
    })

    it('rejects unsafe slot names with invalid_slot', async () => {
      for (const slot of ['', '../escape', 'a/b', '.staging-1', 'with space', 'x'.repeat(200)]) {
        await expectCode(store.get(slot), 'invalid_slot')
        await expectCode(store.set(slot, sampleAuth('x')), 'invalid_slot')
        await expectCode(store.delete(slot), 'invalid_slot')
      }
    })

    it('update() saves, keeps (undefined) and deletes (null)', async () => {
      expect(
        await store.update(alice, (current) => (current === null ? sampleAuth('u1') : undefined)),
      ).toEqual(sampleAuth('u1'))
      expect(await store.update(alice, () => undefined)).toEqual(sampleAuth('u1'))
      expect(
        await store.update(alice, (current) =>
          current ? { ...current, tokens: { ...current.tokens, access_token: 'refreshed' } } : null,
        ),
      ).toMatchObject({ tokens: { access_token: 'refreshed' } })
      expect((await store.get(alice))?.tokens.access_token).toBe('refreshed')
      expect(await store.update(alice, () => null)).toBeNull()
      expect(await store.get(alice)).toBeNull()
      await expectCode(
        store.update(alice, () => ({ nope: true }) as unknown as StoredAuth),
        'auth_invalid',
      )
    })

    it('update() serialises concurrent read-modify-write cycles in one process', async () => {
      await store.set(DEFAULT_SLOT, sampleAuth('counter', { last_refresh: null }))
      const increments = 8
      await Promise.all(
        Array.from({ length: increments }, () =>
          store.update(DEFAULT_SLOT, async (current) => {
            if (!current) throw new Error('expected credentials')
            const n = Number(current.tokens.access_token.replace(/\D/g, '') || '0')
            await new Promise((resolve) => setTimeout(resolve, 2))
            return { ...current, tokens: { ...current.tokens, access_token: `n${n + 1}` } }
          }),
        ),
      )
      expect((await store.get(DEFAULT_SLOT))?.tokens.access_token).toBe(`n${increments}`)
    })

    it('update() leaves the stored value unchanged when the updater throws', async () => {
      await store.set(DEFAULT_SLOT, sampleAuth('keep'))
      await expect(
        store.update(DEFAULT_SLOT, () => {
          throw new Error('refresh failed')
        }),
      ).rejects.toThrow('refresh failed')
      expect(await store.get(DEFAULT_SLOT)).toEqual(sampleAuth('keep'))
      // The lock (if any) was released: the next update runs.
      expect(await store.update(DEFAULT_SLOT, () => sampleAuth('next'))).toEqual(sampleAuth('next'))
    })

    it('describes where a slot lives', async () => {
      const described = await store.describe()
      expect(described.slot).toBe(DEFAULT_SLOT)
      expect(described.mode).toBe(store.mode)
      expect(['memory', 'file', 'keychain']).toContain(described.driver)
      expect(described.location.length).toBeGreaterThan(0)
      expect((await store.describe(alice)).slot).toBe(alice)
    })

    it('plugs a slot into the upstream-client CredentialStore shape', async () => {
      const credentials = credentialStoreFor(store, alice)
      expect(await credentials.load()).toBeNull()
      await credentials.save(sampleAuth('cs'))
      expect(await store.get(alice)).toEqual(sampleAuth('cs'))
      expect(await credentialStoreFor(store).load()).toBeNull()
      await credentials.delete()
      expect(await credentials.load()).toBeNull()
    })
  })
}

import { describe, expect, it, vi } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { codexBody, collect, instantSleep, recordingStore, rejectionOf, textOf } from './_test-helpers'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'
import { isUpstreamError } from './errors'
import type { CredentialStore, StoredAuth } from './types'

const fx = useEmulatorClients({})
function client(credentials: CredentialStore, extra: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  return fx.client({ credentials, ...extra })
}

const byRoute = fx.byRoute

describe('token lifecycle', () => {
  it('refreshes an expired access token before the call and persists the rotated tokens', async () => {
    const old = fx.emu.storedAuth({ expiresInSeconds: -60 })
    const store = recordingStore(old)
    const onRefresh = vi.fn()
    const upstream = client(store, { hooks: { onRefresh } })
    const before = Date.now()
    const events = await collect(await upstream.responses(codexBody()))
    expect(textOf(events)).toBe('pong')

    const refresh = byRoute('token')
    expect(refresh).toHaveLength(1)
    expect(refresh[0]?.headers['content-type']).toBe('application/json')
    expect(refresh[0]?.body).toEqual({
      client_id: fx.emu.clientId,
      grant_type: 'refresh_token',
      refresh_token: old.tokens.refresh_token,
      scope: 'openid profile email',
    })
    expect(store.saves).toHaveLength(1)
    const saved = store.saves[0] as StoredAuth
    expect(saved.tokens.refresh_token).not.toBe(old.tokens.refresh_token)
    expect(saved.tokens.access_token).not.toBe(old.tokens.access_token)
    expect(saved.bound_account_id).toBe('acct_emulator')
    expect(Date.parse(saved.last_refresh ?? '')).toBeGreaterThanOrEqual(before - 1000)
    expect(byRoute('responses')[0]?.headers.authorization).toBe(`Bearer ${saved.tokens.access_token}`)
    expect(onRefresh).toHaveBeenCalledWith({ reason: 'proactive', outcome: 'refreshed' })
  })

  it('refreshes when last_refresh is older than 8 days even if the token has not expired', async () => {
    const auth = fx.emu.storedAuth()
    auth.last_refresh = new Date(Date.now() - 9 * 86_400_000).toISOString()
    const store = recordingStore(auth)
    await collect(await client(store).responses(codexBody()))
    expect(byRoute('token')).toHaveLength(1)
  })

  it('forces a refresh when only a refresh token is stored', async () => {
    const auth = fx.emu.storedAuth()
    auth.tokens.access_token = ''
    await collect(await client(recordingStore(auth)).responses(codexBody()))
    expect(byRoute('token')).toHaveLength(1)
  })

  it('shares one refresh between 20 concurrent callers', async () => {
    const store = recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 }))
    const upstream = client(store)
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => textOf(await collect(await upstream.responses(codexBody())))),
    )
    expect(results).toEqual(Array.from({ length: 20 }, () => 'pong'))
    expect(byRoute('token')).toHaveLength(1)
    expect(store.saves).toHaveLength(1)
    expect(byRoute('responses')).toHaveLength(20)
  })

  it('two holders of one locking store never spend a refresh token twice', async () => {
    const old = fx.emu.storedAuth({ expiresInSeconds: -60 })
    const shared = recordingStore(old)
    // A store with a lock around read-modify-write, like auth-store's file lock across processes.
    let tail: Promise<unknown> = Promise.resolve()
    const locking: CredentialStore = {
      load: () => shared.load(),
      save: (auth) => shared.save(auth),
      update(updater) {
        const run = tail.then(async () => {
          const next = await updater(await shared.load())
          if (next) await shared.save(next)
          return next ?? shared.current()
        })
        tail = run.catch(() => {})
        return run
      },
    }
    // Two separate clients (two relays, or a relay and the CLI), both holding the expired token.
    const a = client(locking)
    const b = client(locking)
    const texts = await Promise.all(
      [a, b, a, b].map(async (c) => textOf(await collect(await c.responses(codexBody())))),
    )
    expect(texts).toEqual(['pong', 'pong', 'pong', 'pong'])
    expect(byRoute('token')).toHaveLength(1)
    expect(shared.saves).toHaveLength(1)
    expect(shared.current()?.tokens.refresh_token).not.toBe(old.tokens.refresh_token)
  })

  it('without a lock, the second holder of an expired token hits a reused refresh token', async () => {
    const old = fx.emu.storedAuth({ expiresInSeconds: -60 })
    const a = client(recordingStore(old))
    const b = client(recordingStore(old))
    await collect(await a.responses(codexBody()))
    const error = await rejectionOf(b.responses(codexBody()))
    expect(isUpstreamError(error) && error.kind).toBe('auth')
  })

  it('on a 401 refreshes once and retries once', async () => {
    fx.emu.script({ kind: 'expired_token' })
    const store = recordingStore(fx.emu.storedAuth())
    const onRefresh = vi.fn()
    const stream = await client(store, { hooks: { onRefresh } }).responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(stream.attempts).toBe(2)
    expect(byRoute('token')).toHaveLength(1)
    expect(byRoute('responses')).toHaveLength(2)
    expect(byRoute('responses')[1]?.headers.authorization).toBe(
      `Bearer ${store.current()?.tokens.access_token}`,
    )
    expect(onRefresh).toHaveBeenCalledWith({ reason: 'unauthorized', outcome: 'refreshed' })
  })

  it('on a 401 takes newer tokens another process saved instead of refreshing', async () => {
    const first = fx.emu.storedAuth()
    const second = fx.emu.storedAuth()
    const store = recordingStore(first)
    const upstream = client(store)
    fx.emu.script({ kind: 'expired_token' })
    const loaded = store.load.bind(store)
    let calls = 0
    store.load = async () => {
      calls++
      // The first load (before the call) sees the old tokens; later loads see what the other process wrote.
      if (calls === 2) store.set(second)
      return loaded()
    }
    const stream = await upstream.responses(codexBody())
    await collect(stream)
    expect(byRoute('token')).toHaveLength(0)
    expect(byRoute('responses')[1]?.headers.authorization).toBe(`Bearer ${second.tokens.access_token}`)
  })

  it('surfaces auth_rejected when the retried call is still 401', async () => {
    fx.emu.script({ kind: 'expired_token' }, { kind: 'expired_token' })
    const error = await rejectionOf(client(recordingStore(fx.emu.storedAuth())).responses(codexBody()))
    expect(isUpstreamError(error) && error.code).toBe('auth_rejected')
    expect((error as Error).message).toBe(
      'Upstream ChatGPT login is missing or expired. Run `airelays login` first.',
    )
    expect(byRoute('responses')).toHaveLength(2)
    expect(byRoute('token')).toHaveLength(1)
  })

  it.each(['refresh_expired', 'refresh_reused', 'refresh_invalidated'] as const)(
    'a permanent %s failure is not retried and fails fast until the credentials change',
    async (kind) => {
      fx.emu.script({ route: 'token', kind })
      const store = recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 }))
      const upstream = client(store)
      const error = await rejectionOf(upstream.responses(codexBody()))
      expect(isUpstreamError(error) && error.code).toBe('refresh_failed')
      expect(isUpstreamError(error) && error.kind).toBe('auth')
      expect((error as Error).message.startsWith('Token refresh failed')).toBe(true)
      expect((error as Error).message).toContain(kind.replace('refresh_', 'refresh_token_'))
      expect(byRoute('token')).toHaveLength(1)
      expect(byRoute('responses')).toHaveLength(0)

      const again = await rejectionOf(upstream.responses(codexBody()))
      expect(isUpstreamError(again) && again.code).toBe('refresh_failed')
      expect(byRoute('token')).toHaveLength(1)

      store.set(fx.emu.storedAuth())
      await collect(await upstream.responses(codexBody()))
      expect(byRoute('responses')).toHaveLength(1)
    },
  )

  it('retries a transient refresh failure with the backoff schedule', async () => {
    fx.emu.script({ route: 'token', kind: 'http_error', status: 503 })
    const { sleep, delays } = instantSleep()
    const store = recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 }))
    const upstream = client(store, { sleep, random: () => 0.5 })
    await collect(await upstream.responses(codexBody()))
    expect(byRoute('token')).toHaveLength(2)
    expect(delays).toEqual([5000])
  })

  it('reports a missing login with the reference message and makes no request', async () => {
    const error = await rejectionOf(client(recordingStore(null)).responses(codexBody()))
    expect(isUpstreamError(error) && error.code).toBe('auth_missing')
    expect(isUpstreamError(error) && error.status).toBe(503)
    expect((error as Error).message).toBe('No ChatGPT login found. Run `airelays login` first.')
    expect(fx.emu.requests).toHaveLength(0)
  })

  it('refuses credentials bound to another account', async () => {
    const auth = fx.emu.storedAuth()
    auth.bound_account_id = 'acct_other'
    const error = await rejectionOf(client(recordingStore(auth)).responses(codexBody()))
    expect(isUpstreamError(error) && error.code).toBe('auth_account_mismatch')
    expect((error as Error).message).toBe(
      'Stored AIRelays auth is bound to a different upstream account than the active token.',
    )
  })

  it('never puts tokens in error messages', async () => {
    const auth = fx.emu.storedAuth()
    fx.emu.script({
      kind: 'http_error',
      status: 400,
      body: { error: { type: 'invalid_request_error', message: `bad token ${auth.tokens.access_token}` } },
    })
    const error = await rejectionOf(client(recordingStore(auth)).responses(codexBody()))
    expect(isUpstreamError(error) && error.code).toBe('bad_request')
    expect((error as Error).message).not.toContain(auth.tokens.access_token)
    expect((error as Error).message).toContain('[redacted]')
  })
})

describe('status()', () => {
  it('reports readiness from the store', async () => {
    const auth = fx.emu.storedAuth({ email: 'me@example.com', plan: 'pro' })
    const status = await client(recordingStore(auth)).status()
    expect(status).toMatchObject({
      credentials_present: true,
      authenticated: true,
      account_bound: true,
      ready_for_requests: true,
      email: 'me@example.com',
      plan_type: 'pro',
      account_id: 'acct_emulator',
      bound_account_id: 'acct_emulator',
      last_refresh: auth.last_refresh,
    })
    expect(Date.parse(status.access_token_expires_at ?? '')).toBeGreaterThan(Date.now())
  })

  it('is not ready without a login or with a mismatched binding', async () => {
    expect(await client(recordingStore(null)).status()).toMatchObject({
      credentials_present: false,
      authenticated: false,
      ready_for_requests: false,
      email: null,
    })
    const auth = fx.emu.storedAuth()
    auth.bound_account_id = 'acct_other'
    expect(await client(recordingStore(auth)).status()).toMatchObject({
      authenticated: true,
      ready_for_requests: false,
    })
  })
})

describe('revoke()', () => {
  it('revokes the refresh token, after which the tokens stop working', async () => {
    const auth = fx.emu.storedAuth()
    const upstream = client(recordingStore(auth))
    const result = await upstream.revoke()
    expect(result).toEqual({ revoked: true, tokenTypeHint: 'refresh_token', status: 200, error: null })
    expect(byRoute('revoke')[0]?.body).toEqual({
      token: auth.tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: fx.emu.clientId,
    })
    const error = await rejectionOf(upstream.responses(codexBody()))
    expect(isUpstreamError(error) && ['auth_rejected', 'refresh_failed'].includes(error.code)).toBe(true)
  })

  it('revokes the access token when there is no refresh token', async () => {
    const auth = fx.emu.storedAuth()
    auth.tokens.refresh_token = ''
    const result = await client(recordingStore(null)).revoke(auth)
    expect(result.tokenTypeHint).toBe('access_token')
    expect(byRoute('revoke')[0]?.body).toEqual({
      token: auth.tokens.access_token,
      token_type_hint: 'access_token',
    })
  })

  it('reports failures instead of throwing', async () => {
    fx.emu.script({ route: 'revoke', kind: 'http_error', status: 500 })
    const upstream = client(recordingStore(fx.emu.storedAuth()))
    const failed = await upstream.revoke()
    expect(failed).toMatchObject({ revoked: false, status: 500 })
    expect(failed.error).toMatch(/^Token revocation failed: 500/)
    expect(await upstream.revoke(null)).toEqual({
      revoked: false,
      tokenTypeHint: null,
      status: null,
      error: 'No tokens to revoke.',
    })
    const unreachable = client(recordingStore(fx.emu.storedAuth()), { issuerUrl: 'http://127.0.0.1:9' })
    const result = await unreachable.revoke()
    expect(result.revoked).toBe(false)
    expect(result.error).toMatch(/^Token revocation failed: Upstream connection failed/)
  })
})

describe('credential store failures', () => {
  it('reports an unreadable store as a typed error without calling the upstream', async () => {
    const broken: CredentialStore = {
      load: async () => {
        throw new Error('keychain locked')
      },
      save: async () => {},
    }
    const upstream = client(broken)
    const error = await rejectionOf(upstream.responses(codexBody()))
    expect(isUpstreamError(error) && error.code).toBe('auth_missing')
    expect((error as Error).message).toBe('Could not read the stored ChatGPT login: keychain locked')
    expect(isUpstreamError(await rejectionOf(upstream.status()))).toBe(true)
    expect((await upstream.revoke()).error).toBe('Could not read the stored ChatGPT login: keychain locked')
    expect(fx.emu.requests).toHaveLength(0)
  })

  it('keeps rotated tokens in memory when saving fails, and saves them on the next use', async () => {
    const store = recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 }))
    const save = store.save.bind(store)
    let failSaves = true
    store.save = async (auth) => {
      if (failSaves) throw new Error('disk full')
      await save(auth)
    }
    const onRefresh = vi.fn()
    const upstream = client(store, { hooks: { onRefresh } })
    await collect(await upstream.responses(codexBody()))
    expect(onRefresh.mock.calls[0]?.[0]).toMatchObject({
      outcome: 'refreshed',
      warning: expect.stringContaining('disk full'),
    })
    // The rotated refresh token was not lost: the next call needs no refresh and succeeds.
    await collect(await upstream.responses(codexBody()))
    expect(byRoute('token')).toHaveLength(1)
    failSaves = false
    await collect(await upstream.responses(codexBody()))
    expect(store.saves).toHaveLength(1)
    expect(store.current()?.tokens.access_token).toBe(
      byRoute('responses')[2]?.headers.authorization?.slice(7),
    )
  })
})

// `refresh()` (a refresh on demand, observed through `hooks.onRefresh`) and `loginHint` (the sentence
// errors add when a login is needed), against the emulator's issuer.
import { describe, expect, it } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { codexBody, recordingStore, rejectionOf } from './_test-helpers'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'
import { isUpstreamError } from './errors'
import type { RefreshEvent } from './hooks'
import type { CredentialStore } from './types'

const fx = useEmulatorClients({})
function client(credentials: CredentialStore, extra: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  return fx.client({ credentials, ...extra })
}

describe('refresh()', () => {
  it('refreshes fresh tokens on demand, saves them and reports reason "forced"', async () => {
    const old = fx.emu.storedAuth()
    const store = recordingStore(old)
    const events: RefreshEvent[] = []
    const upstream = client(store, { hooks: { onRefresh: (event) => events.push(event) } })
    const status = await upstream.refresh()
    expect(fx.emu.requests.filter((r) => r.route === 'token')).toHaveLength(1)
    expect(store.saves).toHaveLength(1)
    expect(store.current()?.tokens.refresh_token).not.toBe(old.tokens.refresh_token)
    expect(events).toEqual([{ reason: 'forced', outcome: 'refreshed' }])
    expect(status.ready_for_requests).toBe(true)
    expect(status.last_refresh).toBe(store.current()?.last_refresh)
    expect(status.access_token_expires_at).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('concurrent calls share one issuer refresh', async () => {
    const upstream = client(recordingStore(fx.emu.storedAuth()))
    await Promise.all([upstream.refresh(), upstream.refresh(), upstream.refresh()])
    expect(fx.emu.requests.filter((r) => r.route === 'token')).toHaveLength(1)
  })

  it('rejects with auth_missing when there is no login, and refresh_failed (auth) when it was revoked', async () => {
    const missing = await rejectionOf(client(recordingStore(null)).refresh())
    expect(isUpstreamError(missing) && missing.code).toBe('auth_missing')

    fx.emu.script({
      route: 'token',
      kind: 'http_error',
      status: 401,
      body: { error: 'refresh_token_invalidated' },
    })
    const events: RefreshEvent[] = []
    const upstream = client(recordingStore(fx.emu.storedAuth()), {
      hooks: { onRefresh: (event) => events.push(event) },
    })
    const failed = await rejectionOf(upstream.refresh())
    expect(isUpstreamError(failed) && [failed.code, failed.kind, failed.status]).toEqual([
      'refresh_failed',
      'auth',
      503,
    ])
    expect(events.map((e) => [e.reason, e.outcome])).toEqual([['forced', 'failed']])
  })
})

describe('loginHint', () => {
  it('keeps the airelays wording by default', async () => {
    const error = await rejectionOf(client(recordingStore(null)).responses(codexBody()))
    expect((error as Error).message).toBe('No ChatGPT login found. Run `airelays login` first.')
  })

  it("replaces the hint in every error that needs a login with the host tool's own", async () => {
    const hint = 'Sign in with `mytool auth`.'
    const missing = await rejectionOf(client(recordingStore(null), { loginHint: hint }).models())
    expect((missing as Error).message).toBe(`No ChatGPT login found. ${hint}`)

    fx.emu.script({
      route: 'token',
      kind: 'http_error',
      status: 401,
      body: { error: 'refresh_token_expired' },
    })
    const refresh = await rejectionOf(
      client(recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 })), { loginHint: hint }).responses(
        codexBody(),
      ),
    )
    expect((refresh as Error).message).toBe(
      `Token refresh failed: 401 refresh_token_expired (the refresh token has expired). ${hint}`,
    )
    expect((refresh as Error).message).not.toContain('airelays')

    const noHint = await rejectionOf(client(recordingStore(null), { loginHint: '' }).usage())
    expect((noHint as Error).message).toBe('No ChatGPT login found.')
  })

  it('a rejected access token (401 twice) names the hint too', async () => {
    fx.emu.script({ kind: 'expired_token' }, { kind: 'expired_token' })
    const error = await rejectionOf(
      client(recordingStore(fx.emu.storedAuth()), { loginHint: 'Sign in again.' }).responses(codexBody()),
    )
    expect(isUpstreamError(error) && error.code).toBe('auth_rejected')
    expect((error as Error).message).toBe('Upstream ChatGPT login is missing or expired. Sign in again.')
  })
})

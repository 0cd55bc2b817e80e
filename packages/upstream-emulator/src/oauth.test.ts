import { afterEach, describe, expect, it } from 'vitest'
import { decodeJwtPayload, pkcePair } from './_test-helpers'
import type { UpstreamEmulator, UpstreamEmulatorOptions } from './index'
import { createUpstreamEmulator, DEFAULT_CLIENT_ID } from './index'

let emu: UpstreamEmulator | undefined
afterEach(async () => {
  await emu?.close()
  emu = undefined
})

async function start(options: UpstreamEmulatorOptions = {}): Promise<UpstreamEmulator> {
  emu = await createUpstreamEmulator(options)
  return emu
}

const REDIRECT = 'http://localhost:1455/auth/callback'

function authorizeUrl(
  e: UpstreamEmulator,
  overrides: Record<string, string | null> = {},
  challenge = 'x',
): URL {
  const url = new URL(`${e.url}/oauth/authorize`)
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: DEFAULT_CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    id_token_add_organizations: 'true',
    codex_cli_simplified_flow: 'true',
    state: 'state-123',
    originator: 'codex_cli_rs',
    ...overrides,
  }
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v)
  return url
}

/** Play the browser: GET authorize without following, return the redirect target. */
async function authorize(
  e: UpstreamEmulator,
  overrides: Record<string, string | null> = {},
  challenge?: string,
) {
  const res = await fetch(authorizeUrl(e, overrides, challenge ?? pkcePair().challenge), {
    redirect: 'manual',
  })
  return res
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }
}

function json(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

async function login(e: UpstreamEmulator) {
  const { verifier, challenge } = pkcePair()
  const res = await authorize(e, {}, challenge)
  const location = new URL(res.headers.get('location') ?? '')
  const code = location.searchParams.get('code') ?? ''
  const token = await fetch(
    `${e.url}/oauth/token`,
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: DEFAULT_CLIENT_ID,
      code_verifier: verifier,
    }),
  )
  return { token, code, verifier }
}

describe('browser login (authorization code + PKCE)', () => {
  it('redirects with code and state, and exchanges the code for JWT-shaped tokens', async () => {
    const e = await start()
    const { verifier, challenge } = pkcePair()
    const res = await authorize(e, {}, challenge)
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location') ?? '')
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT)
    expect(location.searchParams.get('state')).toBe('state-123')
    const code = location.searchParams.get('code')
    expect(code).toMatch(/^ac_/)

    const token = await fetch(
      `${e.url}/oauth/token`,
      form({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT,
        client_id: DEFAULT_CLIENT_ID,
        code_verifier: verifier,
      }),
    )
    expect(token.status).toBe(200)
    const body = (await token.json()) as Record<string, unknown>
    expect(body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' })
    for (const key of ['id_token', 'access_token'] as const) {
      const jwt = body[key] as string
      expect(jwt.split('.')).toHaveLength(3)
      const payload = decodeJwtPayload(jwt)
      expect(payload.email).toBe('dev@example.com')
      expect(typeof payload.exp).toBe('number')
      expect(typeof payload.iat).toBe('number')
      expect(payload.sub).toBe('user_emulator')
      expect(payload['https://api.openai.com/auth']).toMatchObject({
        chatgpt_account_id: 'acct_emulator',
        chatgpt_plan_type: 'plus',
        chatgpt_user_id: 'user_emulator',
      })
    }
    expect(body.refresh_token).toMatch(/^rt_/)

    // the access token works against the backend
    const usage = await fetch(`${e.url}/backend-api/wham/usage`, {
      headers: { authorization: `Bearer ${body.access_token}`, 'chatgpt-account-id': 'acct_emulator' },
    })
    expect(usage.status).toBe(200)
  })

  it('accepts 127.0.0.1 redirect URIs on any port', async () => {
    const e = await start()
    const res = await authorize(e, { redirect_uri: 'http://127.0.0.1:40111/auth/callback' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:40111\/auth\/callback\?code=/)
  })

  it('rejects a wrong code_verifier, a different redirect_uri and code reuse', async () => {
    const e = await start()
    const { verifier, challenge } = pkcePair()
    const res = await authorize(e, {}, challenge)
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
    const base = { grant_type: 'authorization_code', code, client_id: DEFAULT_CLIENT_ID }

    const wrongVerifier = await fetch(
      `${e.url}/oauth/token`,
      form({ ...base, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }),
    )
    expect(wrongVerifier.status).toBe(400)
    expect(await wrongVerifier.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge.',
    })

    const wrongRedirect = await fetch(
      `${e.url}/oauth/token`,
      form({ ...base, redirect_uri: 'http://localhost:1457/auth/callback', code_verifier: verifier }),
    )
    expect(wrongRedirect.status).toBe(400)
    expect(((await wrongRedirect.json()) as { error: string }).error).toBe('invalid_grant')

    const ok = await fetch(
      `${e.url}/oauth/token`,
      form({ ...base, redirect_uri: REDIRECT, code_verifier: verifier }),
    )
    expect(ok.status).toBe(200)

    const reuse = await fetch(
      `${e.url}/oauth/token`,
      form({ ...base, redirect_uri: REDIRECT, code_verifier: verifier }),
    )
    expect(reuse.status).toBe(400)
    expect(await reuse.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code is invalid, expired or already used.',
    })
  })

  it('requires the code exchange to be form-encoded and the client id to match', async () => {
    const e = await start()
    const { verifier, challenge } = pkcePair()
    const res = await authorize(e, {}, challenge)
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
    const fields = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: DEFAULT_CLIENT_ID,
      code_verifier: verifier,
    }
    const asJson = await fetch(`${e.url}/oauth/token`, json(fields))
    expect(asJson.status).toBe(400)
    const wrongClient = await fetch(`${e.url}/oauth/token`, form({ ...fields, client_id: 'app_other' }))
    expect(wrongClient.status).toBe(401)
    expect(((await wrongClient.json()) as { error: string }).error).toBe('invalid_client')
  })

  it('answers an unregistered redirect_uri with a 400 page instead of redirecting', async () => {
    const e = await start()
    for (const bad of [
      'https://evil.example/auth/callback',
      'http://localhost:1455/other',
      '',
      'http://localhost/auth/callback',
    ]) {
      const res = await authorize(e, { redirect_uri: bad })
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('content-type')).toContain('text/html')
      expect(await res.text()).toContain('Invalid redirect_uri')
    }
  })

  it('redirects other invalid requests with error=invalid_request, a description and the state', async () => {
    const e = await start()
    const cases: Array<Record<string, string | null>> = [
      { client_id: 'app_wrong' },
      { response_type: 'token' },
      { code_challenge_method: 'plain' },
      { code_challenge: null },
    ]
    for (const overrides of cases) {
      const res = await authorize(e, overrides)
      expect(res.status).toBe(302)
      const location = new URL(res.headers.get('location') ?? '')
      expect(location.searchParams.get('error')).toBe('invalid_request')
      expect(location.searchParams.get('error_description')).toBeTruthy()
      expect(location.searchParams.get('state')).toBe('state-123')
      expect(location.searchParams.get('code')).toBeNull()
    }
    const noState = await authorize(e, { state: null })
    const location = new URL(noState.headers.get('location') ?? '')
    expect(location.searchParams.get('error')).toBe('invalid_request')
    expect(location.searchParams.get('error_description')).toBe('state is required.')
  })

  it('answers access_denied when configured or scripted', async () => {
    const e = await start({ authorizeError: 'access_denied' })
    const res = await authorize(e)
    const location = new URL(res.headers.get('location') ?? '')
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('state-123')
    await e.close()

    const f = await start()
    f.script({ kind: 'authorize_error', description: 'missing_codex_entitlement' })
    const first = new URL((await authorize(f)).headers.get('location') ?? '')
    expect(first.searchParams.get('error')).toBe('access_denied')
    expect(first.searchParams.get('error_description')).toBe('missing_codex_entitlement')
    const second = new URL((await authorize(f)).headers.get('location') ?? '')
    expect(second.searchParams.get('code')).toMatch(/^ac_/)
  })
})

describe('refresh', () => {
  it('rotates the refresh token (JSON body) and rejects reuse with refresh_token_reused', async () => {
    const e = await start()
    const first = e.issueTokens()
    const refresh = (token: string) =>
      fetch(
        `${e.url}/oauth/token`,
        json({ client_id: DEFAULT_CLIENT_ID, grant_type: 'refresh_token', refresh_token: token }),
      )
    const res = await refresh(first.refresh_token)
    expect(res.status).toBe(200)
    const rotated = (await res.json()) as Record<string, string>
    expect(rotated.refresh_token).not.toBe(first.refresh_token)
    expect(rotated.access_token).not.toBe(first.access_token)
    expect(rotated.id_token).toBeTruthy()

    const reuse = await refresh(first.refresh_token)
    expect(reuse.status).toBe(401)
    expect(await reuse.json()).toEqual({
      error: 'refresh_token_reused',
      error_description:
        'Your refresh token has already been used to generate a new access token. Please try signing in again.',
    })

    const next = await refresh(rotated.refresh_token as string)
    expect(next.status).toBe(200)
  })

  it('accepts form-encoded refreshes with an extra scope field', async () => {
    const e = await start()
    const first = e.issueTokens()
    const body = {
      client_id: DEFAULT_CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'openid profile email',
    }
    const res = await fetch(`${e.url}/oauth/token`, form(body))
    expect(res.status).toBe(200)
    const reuse = await fetch(`${e.url}/oauth/token`, form(body))
    expect(reuse.status).toBe(401)
    expect(((await reuse.json()) as { error: string }).error).toBe('refresh_token_reused')
  })

  it('keeps the identity of the refreshed credentials', async () => {
    const e = await start()
    const first = e.issueTokens({ accountId: 'acct_team', plan: 'team', email: 'team@example.com' })
    const res = await fetch(
      `${e.url}/oauth/token`,
      json({ client_id: DEFAULT_CLIENT_ID, grant_type: 'refresh_token', refresh_token: first.refresh_token }),
    )
    const body = (await res.json()) as Record<string, string>
    const claims = decodeJwtPayload(body.id_token as string)
    expect(claims.email).toBe('team@example.com')
    expect(claims['https://api.openai.com/auth']).toMatchObject({
      chatgpt_account_id: 'acct_team',
      chatgpt_plan_type: 'team',
    })
  })

  it('answers scripted expired / invalidated / reused failures and unknown tokens with 401', async () => {
    const e = await start()
    const tokens = e.issueTokens()
    const refresh = () =>
      fetch(
        `${e.url}/oauth/token`,
        json({
          client_id: DEFAULT_CLIENT_ID,
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
        }),
      )
    e.script({ kind: 'refresh_expired' }, { kind: 'refresh_invalidated' }, { kind: 'refresh_reused' })
    const expectations = ['refresh_token_expired', 'refresh_token_invalidated', 'refresh_token_reused']
    for (const code of expectations) {
      const res = await refresh()
      expect(res.status).toBe(401)
      const body = (await res.json()) as { error: string; error_description: string }
      expect(body.error).toBe(code)
      expect(body.error_description).toMatch(/Please try signing in again\.$/)
    }
    // the scripted failures did not consume the real token
    expect((await refresh()).status).toBe(200)

    const unknown = await fetch(
      `${e.url}/oauth/token`,
      json({ client_id: DEFAULT_CLIENT_ID, grant_type: 'refresh_token', refresh_token: 'rt_unknown' }),
    )
    expect(unknown.status).toBe(401)
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_grant')
  })

  it('rejects unsupported grant types and a missing grant type', async () => {
    const e = await start()
    const res = await fetch(
      `${e.url}/oauth/token`,
      form({ grant_type: 'password', client_id: DEFAULT_CLIENT_ID }),
    )
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type')
    const none = await fetch(`${e.url}/oauth/token`, form({ client_id: DEFAULT_CLIENT_ID }))
    expect(none.status).toBe(400)
  })

  it('exchanges an id_token for an API key (token-exchange grant)', async () => {
    const e = await start()
    const tokens = e.issueTokens()
    const res = await fetch(
      `${e.url}/oauth/token`,
      form({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: DEFAULT_CLIENT_ID,
        requested_token: 'openai-api-key',
        subject_token: tokens.id_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      }),
    )
    expect(res.status).toBe(200)
    expect(((await res.json()) as { access_token: string }).access_token).toMatch(/^sk-emulator-/)
  })
})

describe('revoke', () => {
  it('revoking a refresh token ends the login session: refresh and access tokens stop working', async () => {
    const e = await start()
    const { token } = await login(e)
    const tokens = (await token.json()) as Record<string, string>
    const revoke = await fetch(
      `${e.url}/oauth/revoke`,
      json({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: DEFAULT_CLIENT_ID }),
    )
    expect(revoke.status).toBe(200)
    const refresh = await fetch(
      `${e.url}/oauth/token`,
      json({
        client_id: DEFAULT_CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      }),
    )
    expect(refresh.status).toBe(401)
    expect(((await refresh.json()) as { error: string }).error).toBe('refresh_token_invalidated')
    const usage = await fetch(`${e.url}/backend-api/wham/usage`, {
      headers: { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': 'acct_emulator' },
    })
    expect(usage.status).toBe(401)
    expect(await usage.json()).toEqual({ detail: 'Unauthorized' })
  })

  it('revokes a single access token, ignores unknown tokens and requires a token', async () => {
    const e = await start()
    const a = e.issueTokens()
    const b = e.issueTokens()
    expect(
      (await fetch(`${e.url}/oauth/revoke`, json({ token: a.access_token, token_type_hint: 'access_token' })))
        .status,
    ).toBe(200)
    const headers = (t: string) => ({ authorization: `Bearer ${t}`, 'chatgpt-account-id': 'acct_emulator' })
    expect(
      (await fetch(`${e.url}/backend-api/wham/usage`, { headers: headers(a.access_token) })).status,
    ).toBe(401)
    expect(
      (await fetch(`${e.url}/backend-api/wham/usage`, { headers: headers(b.access_token) })).status,
    ).toBe(200)
    expect((await fetch(`${e.url}/oauth/revoke`, json({ token: 'nope' }))).status).toBe(200)
    expect((await fetch(`${e.url}/oauth/revoke`, json({}))).status).toBe(400)
  })

  it('revokeAllTokens() invalidates everything minted so far', async () => {
    const e = await start()
    const a = e.issueTokens()
    e.revokeAllTokens()
    const res = await fetch(`${e.url}/backend-api/wham/usage`, {
      headers: { authorization: `Bearer ${a.access_token}`, 'chatgpt-account-id': 'acct_emulator' },
    })
    expect(res.status).toBe(401)
  })
})

describe('device-code login', () => {
  async function usercode(e: UpstreamEmulator) {
    const res = await fetch(
      `${e.url}/api/accounts/deviceauth/usercode`,
      json({ client_id: DEFAULT_CLIENT_ID }),
    )
    expect(res.status).toBe(200)
    return (await res.json()) as {
      device_auth_id: string
      user_code: string
      interval: unknown
      expires_at: string
    }
  }
  const poll = (e: UpstreamEmulator, d: { device_auth_id: string; user_code: string }) =>
    fetch(
      `${e.url}/api/accounts/deviceauth/token`,
      json({ device_auth_id: d.device_auth_id, user_code: d.user_code }),
    )

  it('hands out a string interval, answers 403 while pending, then the PKCE pair; the code exchanges', async () => {
    const e = await start()
    const d = await usercode(e)
    expect(d.interval).toBe('5')
    expect(d.user_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(d.device_auth_id).toMatch(/^deviceauth_/)
    expect(Date.parse(d.expires_at)).toBeGreaterThan(Date.now() + 14 * 60 * 1000)

    const pending = await poll(e, d)
    expect(pending.status).toBe(403)
    const ok = await poll(e, d)
    expect(ok.status).toBe(200)
    const pair = (await ok.json()) as {
      authorization_code: string
      code_challenge: string
      code_verifier: string
    }
    expect(pair.authorization_code).toMatch(/^ac_/)

    const wrongRedirect = await fetch(
      `${e.url}/oauth/token`,
      form({
        grant_type: 'authorization_code',
        code: pair.authorization_code,
        redirect_uri: REDIRECT,
        client_id: DEFAULT_CLIENT_ID,
        code_verifier: pair.code_verifier,
      }),
    )
    expect(wrongRedirect.status).toBe(400)

    const token = await fetch(
      `${e.url}/oauth/token`,
      form({
        grant_type: 'authorization_code',
        code: pair.authorization_code,
        redirect_uri: `${e.url}/deviceauth/callback`,
        client_id: DEFAULT_CLIENT_ID,
        code_verifier: pair.code_verifier,
      }),
    )
    expect(token.status).toBe(200)
    expect(Object.keys((await token.json()) as object)).toEqual(
      expect.arrayContaining(['id_token', 'access_token', 'refresh_token']),
    )
  })

  it('stays pending until approveDevice() when auto-approval is off; interval is configurable', async () => {
    const e = await start({ deviceAutoApproveAfterPolls: null, deviceInterval: 0.05 })
    const d = await usercode(e)
    expect(d.interval).toBe(0.05)
    for (let i = 0; i < 3; i++) expect((await poll(e, d)).status).toBe(403)
    expect(e.approveDevice('ZZZZ-ZZZZ')).toBe(false)
    expect(e.approveDevice(d.user_code)).toBe(true)
    expect((await poll(e, d)).status).toBe(200)
  })

  it('approves through the /codex/device page', async () => {
    const e = await start({ deviceAutoApproveAfterPolls: null })
    const page = await fetch(`${e.url}/codex/device`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('user_code')
    const d = await usercode(e)
    const approve = await fetch(`${e.url}/codex/device`, form({ user_code: d.user_code.toLowerCase() }))
    expect(approve.status).toBe(200)
    expect((await poll(e, d)).status).toBe(200)
  })

  it('expires codes and rejects unknown ids', async () => {
    const e = await start({ deviceCodeTtlSeconds: 0.02 })
    const d = await usercode(e)
    await new Promise((r) => setTimeout(r, 40))
    const expired = await poll(e, d)
    expect(expired.status).toBe(410)
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('deviceauth_expired')
    const unknown = await poll(e, { device_auth_id: 'deviceauth_nope', user_code: 'AAAA-AAAA' })
    expect(unknown.status).toBe(400)
  })

  it('rejects a usercode request for another client and can be disabled with a scripted 404', async () => {
    const e = await start()
    const wrong = await fetch(`${e.url}/api/accounts/deviceauth/usercode`, json({ client_id: 'app_other' }))
    expect(wrong.status).toBe(400)
    e.script({ kind: 'http_error', status: 404, route: 'device_usercode' })
    const disabled = await fetch(
      `${e.url}/api/accounts/deviceauth/usercode`,
      json({ client_id: DEFAULT_CLIENT_ID }),
    )
    expect(disabled.status).toBe(404)
    expect(await disabled.json()).toEqual({ detail: 'Not Found' })
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { codexBody, decodeJwtPayload, type Loose } from './_test-helpers'
import type { IssuedTokens, UpstreamEmulator } from './index'
import { createUpstreamEmulator, isUpstreamEmulatorError } from './index'

let emu: UpstreamEmulator
beforeAll(async () => {
  emu = await createUpstreamEmulator({
    accounts: [
      { accountId: 'acct_home', email: 'me@home.example', plan: 'plus' },
      {
        accountId: 'acct_work',
        email: 'me@work.example',
        plan: 'business',
        usage: { secondaryUsedPercent: 70 },
      },
    ],
  })
})
afterAll(async () => {
  await emu.close()
})
beforeEach(() => {
  emu.reset()
})

function headersOf(tokens: IssuedTokens): Record<string, string> {
  return {
    authorization: `Bearer ${tokens.access_token}`,
    'chatgpt-account-id': tokens.account_id,
    'content-type': 'application/json',
  }
}

async function respond(tokens: IssuedTokens, body = codexBody()): Promise<Response> {
  return fetch(`${emu.backendUrl}/responses`, {
    method: 'POST',
    headers: headersOf(tokens),
    body: JSON.stringify(body),
  })
}

async function usage(tokens: IssuedTokens): Promise<Loose> {
  const res = await fetch(`${emu.url}/backend-api/wham/usage`, { headers: headersOf(tokens) })
  return res.json()
}

describe('several accounts', () => {
  it('mints tokens with each registered identity', () => {
    const work = emu.storedAuth({ accountId: 'acct_work' })
    const claims = decodeJwtPayload(work.tokens.id_token)
    expect(claims.email).toBe('me@work.example')
    expect(claims['https://api.openai.com/auth']).toMatchObject({
      chatgpt_account_id: 'acct_work',
      chatgpt_plan_type: 'business',
    })
    expect(work.bound_account_id).toBe('acct_work')
  })

  it('keeps usage per account: own figures, shared defaults for the others', async () => {
    const home = emu.issueTokens({ accountId: 'acct_home' })
    const work = emu.issueTokens({ accountId: 'acct_work' })
    const other = emu.issueTokens({ accountId: 'acct_unregistered' })
    expect((await usage(work)).rate_limit.secondary_window.used_percent).toBe(70)
    expect((await usage(home)).rate_limit.secondary_window.used_percent).toBe(34)
    emu.setUsage({ secondaryUsedPercent: 5 }, 'acct_home')
    emu.setUsage({ secondaryUsedPercent: 50 })
    expect((await usage(home)).rate_limit.secondary_window.used_percent).toBe(5)
    expect((await usage(other)).rate_limit.secondary_window.used_percent).toBe(50)
    expect((await usage(work)).rate_limit.secondary_window.used_percent).toBe(70)
    const res = await respond(work)
    await res.text()
    expect(res.headers.get('x-codex-secondary-used-percent')).toBe('70')
    expect(res.headers.get('x-codex-plan-type')).toBe('business')
    emu.setUsage({ secondaryUsedPercent: 34 })
  })

  it('answers 429 usage_limit_reached while an account has a spent window, until it is reset', async () => {
    emu.addAccount({
      accountId: 'acct_spent',
      usage: { primaryUsedPercent: 100, primaryResetAfterSeconds: 900 },
    })
    const spent = emu.issueTokens({ accountId: 'acct_spent' })
    const res = await respond(spent)
    expect(res.status).toBe(429)
    const body = (await res.json()) as Loose
    expect(body.error).toMatchObject({ type: 'usage_limit_reached', plan_type: 'plus' })
    expect(body.error.resets_in_seconds).toBeGreaterThan(890)
    expect(body.error.resets_in_seconds).toBeLessThanOrEqual(900)
    expect((await usage(spent)).rate_limit).toMatchObject({ allowed: false, limit_reached: true })
    // Another account is not affected.
    expect((await respond(emu.issueTokens({ accountId: 'acct_home' }))).status).toBe(200)
    emu.setUsage({ primaryUsedPercent: 10 }, 'acct_spent')
    expect((await respond(spent)).status).toBe(200)
  })

  it('applies a behaviour bound to an account only to that account', async () => {
    const home = emu.issueTokens({ accountId: 'acct_home' })
    const work = emu.issueTokens({ accountId: 'acct_work' })
    emu.script(
      { kind: 'usage_limit', accountId: 'acct_work', resetsInSeconds: 120 },
      { kind: 'failed_event', accountId: 'acct_work', code: 'server_error' },
    )
    const first = await respond(home)
    expect(first.status).toBe(200)
    expect(await first.text()).toContain('response.completed')
    const limited = await respond(work)
    expect(limited.status).toBe(429)
    expect(((await limited.json()) as Loose).error.resets_in_seconds).toBe(120)
    expect(await (await respond(home)).text()).toContain('response.completed')
    expect(await (await respond(work)).text()).toContain('response.failed')
    expect(emu.requests.map((r) => [r.headers['chatgpt-account-id'], r.behaviour ?? null])).toEqual([
      ['acct_home', null],
      ['acct_work', 'usage_limit'],
      ['acct_home', null],
      ['acct_work', 'failed_event'],
    ])
  })

  it('binds token behaviours by the presented refresh token', async () => {
    const home = emu.issueTokens({ accountId: 'acct_home' })
    const work = emu.issueTokens({ accountId: 'acct_work' })
    emu.script({ kind: 'refresh_invalidated', accountId: 'acct_work' })
    const refresh = (rt: string) =>
      fetch(`${emu.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: emu.clientId, grant_type: 'refresh_token', refresh_token: rt }),
      })
    expect((await refresh(home.refresh_token)).status).toBe(200)
    expect((await refresh(work.refresh_token)).status).toBe(401)
  })

  it('lists and accepts only the models of an account with its own list', async () => {
    emu.addAccount({ accountId: 'acct_mini', models: ['gpt-5.4-mini'] })
    const mini = emu.issueTokens({ accountId: 'acct_mini' })
    const res = await fetch(`${emu.backendUrl}/models?client_version=0.124.0`, { headers: headersOf(mini) })
    expect(((await res.json()) as Loose).models.map((m: Loose) => m.slug)).toEqual(['gpt-5.4-mini'])
    const rejected = await respond(mini, codexBody({ model: 'gpt-5.5' }))
    expect(rejected.status).toBe(400)
    expect((await rejected.json()) as Loose).toEqual({
      detail: "The 'gpt-5.5' model is not supported when using Codex with a ChatGPT account.",
    })
    expect((await respond(mini, codexBody({ model: 'gpt-5.4-mini' }))).status).toBe(200)
  })

  it('signs browser and device logins in as the chosen account', async () => {
    emu.setLoginAccount('acct_work')
    try {
      const start = await fetch(`${emu.url}/api/accounts/deviceauth/usercode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: emu.clientId }),
      })
      const { device_auth_id, user_code } = (await start.json()) as Loose
      emu.approveDevice(user_code)
      const poll = await fetch(`${emu.url}/api/accounts/deviceauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ device_auth_id, user_code }),
      })
      const { authorization_code, code_verifier } = (await poll.json()) as Loose
      const token = await fetch(`${emu.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: authorization_code,
          code_verifier,
          client_id: emu.clientId,
          redirect_uri: `${emu.url}/deviceauth/callback`,
        }),
      })
      const tokens = (await token.json()) as Loose
      expect(decodeJwtPayload(tokens.id_token).email).toBe('me@work.example')
    } finally {
      emu.setLoginAccount(null)
    }
  })

  it('rejects unknown accounts and bad account options', async () => {
    const code = (fn: () => unknown): string | null => {
      try {
        fn()
        return null
      } catch (error) {
        return isUpstreamEmulatorError(error) ? error.code : 'other'
      }
    }
    expect(code(() => emu.setUsage({ primaryUsedPercent: 1 }, 'acct_nobody'))).toBe('emulator_invalid_option')
    expect(code(() => emu.setLoginAccount('acct_nobody'))).toBe('emulator_invalid_option')
    expect(code(() => emu.addAccount({ accountId: '' }))).toBe('emulator_invalid_option')
    expect(code(() => emu.script({ kind: 'usage_limit', accountId: '' }))).toBe('emulator_invalid_behaviour')
    await expect(
      createUpstreamEmulator({ accounts: [{ accountId: 'x', models: [1 as never] }] }),
    ).rejects.toThrow(/accounts\[0\]/)
  })

  it('offers the same over the control API', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${emu.url}/__emulator/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('accounts', { accountId: 'acct_http', email: 'http@x.example' })).status).toBe(200)
    expect((await post('usage', { accountId: 'acct_http', secondaryUsedPercent: 99 })).status).toBe(200)
    const tokens = emu.issueTokens({ accountId: 'acct_http' })
    expect((await usage(tokens)).rate_limit.secondary_window.used_percent).toBe(99)
    expect((await post('usage', { accountId: 'acct_nope', secondaryUsedPercent: 1 })).status).toBe(400)
    expect((await post('login-account', { accountId: 'acct_http' })).status).toBe(200)
    expect((await post('login-account', { accountId: null })).status).toBe(200)
  })
})

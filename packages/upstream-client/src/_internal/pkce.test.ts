import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildAuthorizeUrl, createPkce, createState, strictEncode } from './pkce'

describe('PKCE and state', () => {
  it('uses 43-character base64url verifiers and S256 challenges, unique per attempt', () => {
    const a = createPkce()
    const b = createPkce()
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'))
    expect(a.verifier).not.toBe(b.verifier)
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(createState()).not.toBe(createState())
  })

  it('percent-encodes every reserved character, spaces as %20', () => {
    expect(strictEncode("a b+c/d:e!'()*~._-")).toBe('a%20b%2Bc%2Fd%3Ae%21%27%28%29%2A~._-')
  })
})

describe('buildAuthorizeUrl', () => {
  it('lists the parameters in the reference order with the exact values', () => {
    const url = buildAuthorizeUrl({
      issuerUrl: 'https://auth.openai.com',
      clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
      redirectUri: 'http://localhost:1455/auth/callback',
      codeChallenge: 'CHALLENGE',
      state: 'STATE',
      originator: 'codex_cli_rs',
    })
    expect(url).toBe(
      'https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann' +
        '&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access' +
        '&code_challenge=CHALLENGE&code_challenge_method=S256&id_token_add_organizations=true' +
        '&codex_cli_simplified_flow=true&state=STATE&originator=codex_cli_rs',
    )
    expect(url).not.toContain('+')
  })

  it('appends allowed_workspace_id last when the login is restricted', () => {
    const url = buildAuthorizeUrl({
      issuerUrl: 'https://auth.openai.com',
      clientId: 'c',
      redirectUri: 'http://localhost:1455/auth/callback',
      codeChallenge: 'x',
      state: 's',
      originator: 'codex_cli_rs',
      allowedWorkspaceId: 'ws_1,ws_2',
    })
    expect(url.endsWith('&originator=codex_cli_rs&allowed_workspace_id=ws_1%2Cws_2')).toBe(true)
  })
})

import { escapeHtml, sendHtml } from '../_internal/http'
import { loginIdentity } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import type { EmulatorBehaviour } from '../types'
import { issueCode } from './codes'

/** Redirect URIs the Codex CLI registers: http://localhost|127.0.0.1:<port>/auth/callback. */
function validRedirect(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return (
    url.protocol === 'http:' &&
    (url.hostname === 'localhost' || url.hostname === '127.0.0.1') &&
    url.port !== '' &&
    url.pathname === '/auth/callback' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === ''
  )
}

/** The error a scripted `authorize_error` or the `authorizeError` option asks for, if any. */
function authorizeError(
  ex: Exchange,
  pre: EmulatorBehaviour | undefined,
): { error: string; description: string } | null {
  if (pre?.kind === 'authorize_error') {
    return {
      error: pre.error ?? 'access_denied',
      description: pre.description ?? 'The user denied the authorization request.',
    }
  }
  const configured = ex.state.config.authorizeError
  return configured ? { error: configured, description: 'The authorization request was not approved.' } : null
}

/** `GET /oauth/authorize`: the browser (PKCE) login, approved at once for the default identity. */
export async function handleAuthorize(ex: Exchange): Promise<void> {
  const { res, search, state } = ex
  const pre = await runPre(ex, 'authorize', {})
  if (pre.done) return
  const redirectUri = search.get('redirect_uri') ?? ''
  if (!validRedirect(redirectUri)) {
    sendHtml(
      res,
      400,
      'Invalid redirect_uri',
      `<p>The redirect_uri ${escapeHtml(JSON.stringify(redirectUri))} is not registered for this client. Expected http://localhost:&lt;port&gt;/auth/callback or http://127.0.0.1:&lt;port&gt;/auth/callback.</p>`,
    )
    return
  }
  const stateParam = search.get('state') ?? ''
  const back = (params: Record<string, string>): void => {
    const target = new URL(redirectUri)
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v)
    if (stateParam) target.searchParams.set('state', stateParam)
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store', 'content-length': 0 })
    res.end()
  }
  const invalid = (description: string): void =>
    back({ error: 'invalid_request', error_description: description })
  if (search.get('client_id') !== state.config.clientId) return invalid('Unknown or missing client_id.')
  if (search.get('response_type') !== 'code') return invalid('response_type must be "code".')
  if (search.get('code_challenge_method') !== 'S256') return invalid('code_challenge_method must be "S256".')
  const challenge = search.get('code_challenge') ?? ''
  if (!/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return invalid('code_challenge is missing or malformed.')
  if (!stateParam) return invalid('state is required.')
  const error = authorizeError(ex, pre.behaviour)
  if (error) return back({ error: error.error, error_description: error.description })
  const code = issueCode(state, {
    device: false,
    challenge,
    redirectUri,
    identity: loginIdentity(state),
  })
  back({ code, scope: search.get('scope') ?? 'openid profile email offline_access' })
}

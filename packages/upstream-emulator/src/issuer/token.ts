import { sendJson } from '../_internal/http'
import { randomId, s256 } from '../_internal/ids'
import type { Identity } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import { deviceRedirects } from './codes'
import { NO_STORE, REFRESH_ERRORS, tokenError } from './oauth-errors'

type Field = (name: string) => string

/** A token-endpoint answer (always JSON, `cache-control: no-store`). */
interface Answer {
  status: number
  body: unknown
}

const oauthError = (status: number, error: string, description: string): Answer => ({
  status,
  body: { error, error_description: description },
})

function tokenResponse(ex: Exchange, identity: Identity, session?: number): Answer {
  const minted = ex.state.issuer.tokens.mint(identity, ex.state.config.ttl, session)
  return {
    status: 200,
    body: {
      id_token: minted.id_token,
      access_token: minted.access_token,
      refresh_token: minted.refresh_token,
      expires_in: minted.expires_in,
      token_type: 'Bearer',
      scope: 'openid profile email offline_access',
    },
  }
}

function authorizationCodeGrant(ex: Exchange, field: Field): Answer {
  const codes = ex.state.issuer.codes
  if (!ex.body.form) {
    return oauthError(400, 'invalid_request', 'The authorization_code grant must be form-encoded.')
  }
  const code = codes.get(field('code'))
  if (!code || code.expiresAt < Date.now()) {
    return oauthError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used.')
  }
  const redirectOk = code.device
    ? deviceRedirects(ex.state).includes(field('redirect_uri'))
    : field('redirect_uri') === code.redirectUri
  if (!redirectOk) {
    return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request.')
  }
  const verifier = field('code_verifier')
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== code.challenge) {
    return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge.')
  }
  codes.delete(field('code'))
  return tokenResponse(ex, code.identity)
}

function refreshTokenGrant(ex: Exchange, field: Field): Answer {
  const presented = field('refresh_token')
  if (!presented) return oauthError(400, 'invalid_request', 'refresh_token is required.')
  const stored = ex.state.issuer.tokens.refresh.get(presented)
  if (!stored) return oauthError(401, 'invalid_grant', 'The refresh token is not recognised.')
  if (stored.state === 'used') return { status: 401, body: REFRESH_ERRORS.refresh_reused }
  if (stored.state === 'revoked') return { status: 401, body: REFRESH_ERRORS.refresh_invalidated }
  stored.state = 'used'
  return tokenResponse(ex, stored.identity, stored.session)
}

function tokenExchangeGrant(ex: Exchange, field: Field): Answer {
  const identity = ex.state.issuer.tokens.idTokens.get(field('subject_token'))
  if (!identity || field('requested_token') !== 'openai-api-key') {
    return oauthError(400, 'invalid_grant', 'The subject_token is not a valid id_token.')
  }
  return {
    status: 200,
    body: {
      access_token: `sk-emulator-${randomId(24)}`,
      token_type: 'Bearer',
      issued_token_type: 'openai-api-key',
    },
  }
}

const GRANTS: Record<string, (ex: Exchange, field: Field) => Answer> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
}

/** `POST /oauth/token`: the authorization_code, refresh_token and token-exchange grants. */
export async function handleToken(ex: Exchange): Promise<void> {
  const { res, body } = ex
  if ((await runPre(ex, 'token', NO_STORE)).done) return
  const fields: Record<string, unknown> =
    body.form ??
    (typeof body.json === 'object' && body.json !== null && !Array.isArray(body.json)
      ? (body.json as Record<string, unknown>)
      : {})
  const field: Field = (name) => (typeof fields[name] === 'string' ? (fields[name] as string) : '')
  const grant = field('grant_type')
  if (!grant) return tokenError(res, 400, 'invalid_request', 'grant_type is required.')
  if (field('client_id') !== ex.state.config.clientId) {
    return tokenError(res, 401, 'invalid_client', 'Unknown or missing client_id.')
  }
  const handler = Object.hasOwn(GRANTS, grant) ? GRANTS[grant] : undefined
  if (handler) {
    const answer = handler(ex, field)
    return sendJson(res, answer.status, answer.body, NO_STORE)
  }
  return tokenError(res, 400, 'unsupported_grant_type', `Unsupported grant_type "${grant}".`)
}

/** `POST /oauth/revoke`: revoke a refresh token's whole session, or one access token. */
export async function handleRevoke(ex: Exchange): Promise<void> {
  const { res, body } = ex
  if ((await runPre(ex, 'revoke', {})).done) return
  const fields: Record<string, unknown> =
    body.form ??
    (typeof body.json === 'object' && body.json !== null ? (body.json as Record<string, unknown>) : {})
  const token = typeof fields.token === 'string' ? fields.token : ''
  if (!token) return tokenError(res, 400, 'invalid_request', 'token is required.')
  const tokens = ex.state.issuer.tokens
  const refresh = tokens.refresh.get(token)
  if (refresh) tokens.revokeSession(refresh.session)
  const access = tokens.access.get(token)
  if (access) access.revoked = true
  sendJson(res, 200, {})
}

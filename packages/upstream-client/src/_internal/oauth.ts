import type { Dispatcher } from 'undici'
import type { RevokeResult } from '../client-api'
import { isRecord, UpstreamError } from '../errors'
import { decodeJwtClaims } from '../jwt'
import type { StoredAuth } from '../types'
import { REFRESH_SCOPE } from './constants'
import { errorFromTransport, headersToRecord, parseJsonSafe, readBodyText, redact, truncate } from './http'
import { loginHintFor, withHint } from './login-hint'
import { requestVia } from './node-transport'

export interface PostResult {
  status: number
  headers: Record<string, string>
  text: string
}

/** POST with a hard timeout; transport failures are thrown as-is (callers map them). */
export async function postWithTimeout(input: {
  dispatcher: Dispatcher
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  signal?: AbortSignal | undefined
}): Promise<PostResult> {
  const timeout = AbortSignal.timeout(input.timeoutMs)
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout
  const res = await requestVia(input.dispatcher, input.url, {
    method: 'POST',
    headers: input.headers,
    body: input.body,
    signal,
    headersTimeout: input.timeoutMs,
    bodyTimeout: input.timeoutMs,
  })
  const text = await readBodyText(res.body)
  return { status: res.statusCode, headers: headersToRecord(res.headers), text }
}

/** Token endpoint answer (every field optional until validated). */
export interface TokenResponse {
  id_token?: string
  access_token?: string
  refresh_token?: string
}

function tokenFields(payload: unknown): TokenResponse {
  if (!isRecord(payload)) return {}
  const out: TokenResponse = {}
  for (const key of ['id_token', 'access_token', 'refresh_token'] as const) {
    const value = payload[key]
    if (typeof value === 'string' && value.length > 0) out[key] = value
  }
  return out
}

/** Build `StoredAuth` from a complete token set (bound to the token's account id). */
export function storedAuthFromTokens(
  tokens: { id_token: string; access_token: string; refresh_token: string },
  nowMs: number,
): StoredAuth {
  const accountId =
    decodeJwtClaims(tokens.id_token)?.accountId ?? decodeJwtClaims(tokens.access_token)?.accountId ?? null
  return {
    bound_account_id: accountId,
    tokens: {
      id_token: tokens.id_token,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      account_id: accountId,
    },
    last_refresh: new Date(nowMs).toISOString(),
  }
}

export interface ExchangeInput {
  dispatcher: Dispatcher
  issuerUrl: string
  clientId: string
  code: string
  codeVerifier: string
  redirectUri: string
  headers: Record<string, string>
  timeoutMs: number
  nowMs: () => number
  signal?: AbortSignal | undefined
}

/** Authorization-code exchange (form-encoded) → StoredAuth. */
export async function exchangeCode(input: ExchangeInput): Promise<StoredAuth> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    client_id: input.clientId,
    code_verifier: input.codeVerifier,
  })
  let result: PostResult
  try {
    result = await postWithTimeout({
      dispatcher: input.dispatcher,
      url: `${input.issuerUrl}/oauth/token`,
      headers: {
        ...input.headers,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      timeoutMs: input.timeoutMs,
      signal: input.signal,
    })
  } catch (error) {
    if (input.signal?.aborted) throw error
    const transport = errorFromTransport(error, 'Code exchange', input.timeoutMs)
    throw new UpstreamError({
      code: 'code_exchange_failed',
      message: `Code exchange failed: ${transport.message}`,
      kind: 'transient',
      cause: error,
    })
  }
  if (result.status >= 400) {
    const payload = parseJsonSafe(result.text)
    throw new UpstreamError({
      code: 'code_exchange_failed',
      message: `Code exchange failed: ${result.status} ${truncate(redact(result.text, [input.code, input.codeVerifier]))}`,
      upstreamStatus: result.status,
      ...(isRecord(payload) ? { upstreamError: payload } : {}),
    })
  }
  const tokens = tokenFields(parseJsonSafe(result.text))
  if (!tokens.id_token || !tokens.access_token || !tokens.refresh_token) {
    throw new UpstreamError({
      code: 'code_exchange_failed',
      message:
        'Code exchange failed: the token response did not include id_token, access_token and refresh_token.',
      upstreamStatus: result.status,
    })
  }
  return storedAuthFromTokens(
    { id_token: tokens.id_token, access_token: tokens.access_token, refresh_token: tokens.refresh_token },
    input.nowMs(),
  )
}

const PERMANENT_REASONS: Record<string, string> = {
  refresh_token_expired: 'the refresh token has expired',
  refresh_token_reused: 'the refresh token was already used (another program may share this login)',
  refresh_token_invalidated: 'the refresh token was revoked',
}

/** The error code of an issuer error payload (`error`, `error.code` or `code`). */
export function oauthErrorCode(payload: unknown): string | undefined {
  if (!isRecord(payload)) return undefined
  if (typeof payload.error === 'string') return payload.error
  if (isRecord(payload.error) && typeof payload.error.code === 'string') return payload.error.code
  if (typeof payload.code === 'string') return payload.code
  return undefined
}

export interface RefreshInput {
  dispatcher: Dispatcher
  issuerUrl: string
  clientId: string
  refreshToken: string
  headers: Record<string, string>
  timeoutMs: number
  signal?: AbortSignal | undefined
  /** Appended to the message of a permanent failure. @default the airelays wording */
  hint?: string
}

/**
 * Refresh-token grant (JSON body, reference §6). Permanent failures (any 401, or another 4xx
 * except 408/429) throw `refresh_failed` with kind `auth`; 5xx, 408, 429 and transport errors
 * throw `refresh_failed` with kind `transient`.
 */
export async function refreshTokens(input: RefreshInput): Promise<TokenResponse> {
  let result: PostResult
  try {
    result = await postWithTimeout({
      dispatcher: input.dispatcher,
      url: `${input.issuerUrl}/oauth/token`,
      headers: { ...input.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_id: input.clientId,
        grant_type: 'refresh_token',
        refresh_token: input.refreshToken,
        scope: REFRESH_SCOPE,
      }),
      timeoutMs: input.timeoutMs,
      signal: input.signal,
    })
  } catch (error) {
    if (input.signal?.aborted) throw error
    const transport = errorFromTransport(error, 'Token refresh', input.timeoutMs)
    throw new UpstreamError({
      code: 'refresh_failed',
      message: `Token refresh failed: ${transport.message}`,
      kind: 'transient',
      status: 502,
      cause: error,
    })
  }
  if (result.status >= 400) {
    const payload = parseJsonSafe(result.text)
    const errorCode = oauthErrorCode(payload)
    const permanent = result.status === 401 || (result.status < 500 && ![408, 429].includes(result.status))
    const snippet = truncate(redact(result.text, [input.refreshToken]), 200)
    const reason = errorCode ? PERMANENT_REASONS[errorCode] : undefined
    const message = permanent
      ? withHint(
          `Token refresh failed: ${result.status} ${errorCode ?? snippet} (${reason ?? 'the login could not be refreshed'}).`,
          input.hint ?? loginHintFor(undefined)('again'),
        )
      : `Token refresh failed: ${result.status} ${snippet}`
    throw new UpstreamError({
      code: 'refresh_failed',
      message,
      kind: permanent ? 'auth' : 'transient',
      status: permanent ? 503 : 502,
      upstreamStatus: result.status,
      ...(isRecord(payload) ? { upstreamError: payload } : {}),
    })
  }
  const tokens = tokenFields(parseJsonSafe(result.text))
  if (!tokens.access_token && !tokens.id_token && !tokens.refresh_token) {
    throw new UpstreamError({
      code: 'refresh_failed',
      message: `Token refresh failed: ${result.status} the token endpoint returned no tokens.`,
      kind: 'transient',
      status: 502,
      upstreamStatus: result.status,
    })
  }
  return tokens
}

export async function revokeTokens(input: {
  dispatcher: Dispatcher
  issuerUrl: string
  clientId: string
  auth: StoredAuth | null
  headers: Record<string, string>
  timeoutMs: number
}): Promise<RevokeResult> {
  const refresh = input.auth?.tokens?.refresh_token
  const access = input.auth?.tokens?.access_token
  const tokenTypeHint = refresh ? 'refresh_token' : access ? 'access_token' : null
  if (!tokenTypeHint)
    return { revoked: false, tokenTypeHint: null, status: null, error: 'No tokens to revoke.' }
  const token = (refresh || access) as string
  const body: Record<string, string> = { token, token_type_hint: tokenTypeHint }
  if (tokenTypeHint === 'refresh_token') body.client_id = input.clientId
  try {
    const result = await postWithTimeout({
      dispatcher: input.dispatcher,
      url: `${input.issuerUrl}/oauth/revoke`,
      headers: { ...input.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: input.timeoutMs,
    })
    if (result.status >= 200 && result.status < 300) {
      return { revoked: true, tokenTypeHint, status: result.status, error: null }
    }
    return {
      revoked: false,
      tokenTypeHint,
      status: result.status,
      error: `Token revocation failed: ${result.status} ${truncate(redact(result.text, [refresh, access]), 200)}`,
    }
  } catch (error) {
    const transport = errorFromTransport(error, 'Token revocation', input.timeoutMs)
    return {
      revoked: false,
      tokenTypeHint,
      status: null,
      error: `Token revocation failed: ${transport.message}`,
    }
  }
}

import type { StoredAuth } from '../types'

const AUTH_CLAIM = 'https://api.openai.com/auth'
const PROFILE_CLAIM = 'https://api.openai.com/profile'

type Claims = Record<string, unknown>

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The payload of a JWT, decoded without verification; null when it is not one. */
export function jwtPayload(token: string): Claims | null {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length < 2 || !parts[1]) return null
  try {
    const parsed: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return isRecord(parsed) ? parsed : null
  } catch {
    return null
  }
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null
}

/** Who a stored login belongs to, read from its tokens (no network, no verification). */
export interface AuthIdentity {
  email: string | null
  plan: string | null
  accountId: string | null
}

/**
 * `email` (top level, else the profile claim), and under `https://api.openai.com/auth`
 * `chatgpt_plan_type` and `chatgpt_account_id`; the account id is `tokens.account_id`, else the
 * claim (id token first, then access token).
 */
export function identityOf(auth: StoredAuth): AuthIdentity {
  const fromId = jwtPayload(auth.tokens.id_token)
  const fromAccess = jwtPayload(auth.tokens.access_token)
  let email: string | null = null
  let plan: string | null = null
  let claimAccount: string | null = null
  for (const claims of [fromId, fromAccess]) {
    if (!claims) continue
    const profile = isRecord(claims[PROFILE_CLAIM]) ? claims[PROFILE_CLAIM] : {}
    email ??= nonEmpty(claims.email) ?? nonEmpty(profile.email)
    const auth = isRecord(claims[AUTH_CLAIM]) ? claims[AUTH_CLAIM] : {}
    plan ??= nonEmpty(auth.chatgpt_plan_type)
    claimAccount ??= nonEmpty(auth.chatgpt_account_id)
  }
  return { email, plan, accountId: nonEmpty(auth.tokens.account_id) ?? claimAccount }
}

/** A slot is usable when it has an access or a refresh token. */
export function hasTokens(auth: StoredAuth): boolean {
  return auth.tokens.access_token.length > 0 || auth.tokens.refresh_token.length > 0
}

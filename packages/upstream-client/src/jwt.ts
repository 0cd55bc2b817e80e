import { isRecord } from './errors'

/** Identity read from a ChatGPT id/access token (decoded without signature verification). */
export interface JwtClaims {
  /** `https://api.openai.com/auth.chatgpt_account_id`. */
  accountId: string | null
  /** `https://api.openai.com/auth.chatgpt_plan_type`. */
  planType: string | null
  /** `email`, else `https://api.openai.com/profile.email`. */
  email: string | null
  /** `https://api.openai.com/auth.chatgpt_user_id`, else `user_id`. */
  userId: string | null
  /** Expiry, epoch seconds. */
  exp: number | null
  /** The whole decoded payload. */
  payload: Record<string, unknown>
}

const AUTH_CLAIM = 'https://api.openai.com/auth'
const PROFILE_CLAIM = 'https://api.openai.com/profile'

/**
 * Decode a JWT's payload without verifying it (the upstream never asks clients to verify).
 * Returns `null` for anything that is not a three-segment token with a JSON object payload.
 */
export function decodeJwtClaims(token: string | null | undefined): JwtClaims | null {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return null
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (!isRecord(payload)) return null
  const auth = isRecord(payload[AUTH_CLAIM]) ? payload[AUTH_CLAIM] : {}
  const profile = isRecord(payload[PROFILE_CLAIM]) ? payload[PROFILE_CLAIM] : {}
  return {
    accountId: stringOrNull(auth.chatgpt_account_id),
    planType: stringOrNull(auth.chatgpt_plan_type),
    email: stringOrNull(payload.email) ?? stringOrNull(profile.email),
    userId: stringOrNull(auth.chatgpt_user_id) ?? stringOrNull(auth.user_id) ?? stringOrNull(payload.user_id),
    exp: typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp : null,
    payload,
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null
}

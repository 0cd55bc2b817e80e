import { randomId } from '../_internal/ids'
import type { Identity } from '../accounts'
import type { EmulatorState } from '../state'

const AUTH_CODE_TTL_MS = 10 * 60 * 1000

/** A pending authorization code, redeemed once by the `authorization_code` grant. */
export interface AuthCode {
  /** Issued by the device flow: the redirect is `{issuer}/deviceauth/callback`. */
  device: boolean
  challenge: string
  redirectUri: string
  identity: Identity
  expiresAt: number
}

/** Store a new authorization code (valid for ten minutes) and return it. */
export function issueCode(state: EmulatorState, code: Omit<AuthCode, 'expiresAt'>): string {
  const value = `ac_${randomId(24)}`
  state.issuer.codes.set(value, { ...code, expiresAt: Date.now() + AUTH_CODE_TTL_MS })
  return value
}

/** The redirect URIs a device-flow code may be redeemed with. */
export function deviceRedirects(state: EmulatorState): string[] {
  const baseUrl = state.baseUrl
  const port = new URL(baseUrl).port
  return [
    `${baseUrl}/deviceauth/callback`,
    `http://localhost:${port}/deviceauth/callback`,
    `http://127.0.0.1:${port}/deviceauth/callback`,
  ]
}

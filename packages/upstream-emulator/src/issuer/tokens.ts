import { b64url, randomId } from '../_internal/ids'
import type { Identity } from '../accounts'

export const AUTH_CLAIM = 'https://api.openai.com/auth'
export const PROFILE_CLAIM = 'https://api.openai.com/profile'

export interface AccessRecord {
  identity: Identity
  /** Epoch seconds. */
  exp: number
  session: number
  revoked: boolean
}

export interface RefreshRecord {
  identity: Identity
  session: number
  state: 'active' | 'used' | 'revoked'
}

export interface MintedSet {
  id_token: string
  access_token: string
  refresh_token: string
  account_id: string
  expires_in: number
}

const JWT_HEADER = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'airelays-upstream-emulator' }))

function jwt(payload: Record<string, unknown>): string {
  return `${JWT_HEADER}.${b64url(JSON.stringify(payload))}.${randomId(32)}`
}

/** Issues JWT-shaped tokens and remembers which are valid. */
export class TokenRegistry {
  readonly access: Map<string, AccessRecord> = new Map()
  readonly refresh: Map<string, RefreshRecord> = new Map()
  readonly idTokens: Map<string, Identity> = new Map()
  private sessions = 0

  constructor(
    private readonly issuer: () => string,
    private readonly clientId: string,
  ) {}

  /** Mint a full set in a new login session (or an existing one on refresh). */
  mint(identity: Identity, ttlSeconds: number, session?: number): MintedSet {
    const sessionId = session ?? ++this.sessions
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + ttlSeconds
    const authClaim = {
      chatgpt_account_id: identity.accountId,
      chatgpt_plan_type: identity.plan,
      chatgpt_user_id: identity.userId,
      user_id: identity.userId,
    }
    const idToken = jwt({
      iss: this.issuer(),
      aud: [this.clientId],
      sub: identity.userId,
      email: identity.email,
      email_verified: true,
      iat,
      exp: iat + 3600,
      auth_time: iat,
      jti: randomId(12),
      [AUTH_CLAIM]: {
        ...authClaim,
        organizations: [
          { id: `org-${identity.accountId}`, is_default: true, role: 'owner', title: 'Personal' },
        ],
      },
    })
    const accessToken = jwt({
      iss: this.issuer(),
      aud: ['https://api.openai.com/v1'],
      sub: identity.userId,
      email: identity.email,
      iat,
      nbf: iat,
      exp,
      jti: randomId(12),
      scp: ['openid', 'profile', 'email', 'offline_access'],
      client_id: this.clientId,
      [AUTH_CLAIM]: authClaim,
      [PROFILE_CLAIM]: { email: identity.email, email_verified: true },
    })
    const refreshToken = `rt_${randomId(32)}`
    this.access.set(accessToken, { identity, exp, session: sessionId, revoked: false })
    this.refresh.set(refreshToken, { identity, session: sessionId, state: 'active' })
    this.idTokens.set(idToken, identity)
    return {
      id_token: idToken,
      access_token: accessToken,
      refresh_token: refreshToken,
      account_id: identity.accountId,
      expires_in: ttlSeconds,
    }
  }

  /** Revoke a whole login session: its refresh tokens and access tokens. */
  revokeSession(session: number): void {
    for (const record of this.refresh.values()) if (record.session === session) record.state = 'revoked'
    for (const record of this.access.values()) if (record.session === session) record.revoked = true
  }

  revokeAll(): void {
    for (const record of this.refresh.values()) record.state = 'revoked'
    for (const record of this.access.values()) record.revoked = true
  }
}

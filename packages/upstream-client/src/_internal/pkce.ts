import { createHash, randomBytes } from 'node:crypto'
import { LOGIN_SCOPE } from './constants'

/** A PKCE pair (RFC 7636, method S256). */
export interface Pkce {
  /** base64url (no padding) of 32 random bytes: 43 characters. */
  verifier: string
  /** base64url(sha256(verifier)). */
  challenge: string
}

export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: pkceChallenge(verifier) }
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** OAuth `state`: base64url of 32 random bytes (43 characters). */
export function createState(): string {
  return randomBytes(32).toString('base64url')
}

/** Percent-encode everything except RFC 3986 unreserved characters (spaces → %20). */
export function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

export interface AuthorizeUrlInput {
  issuerUrl: string
  clientId: string
  redirectUri: string
  codeChallenge: string
  state: string
  originator: string
  /** Comma-separated allowed workspace ids, when the login is restricted. */
  allowedWorkspaceId?: string | undefined
}

/** `{issuer}/oauth/authorize?…` with the parameters in the reference order. */
export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const params: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', input.clientId],
    ['redirect_uri', input.redirectUri],
    ['scope', LOGIN_SCOPE],
    ['code_challenge', input.codeChallenge],
    ['code_challenge_method', 'S256'],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['state', input.state],
    ['originator', input.originator],
  ]
  if (input.allowedWorkspaceId) params.push(['allowed_workspace_id', input.allowedWorkspaceId])
  const query = params.map(([key, value]) => `${strictEncode(key)}=${strictEncode(value)}`).join('&')
  return `${input.issuerUrl}/oauth/authorize?${query}`
}

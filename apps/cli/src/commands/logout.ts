import type { StoredAuth } from '@airelays/auth-store'
import { DEFAULT_SLOT, credentialStoreFor, isAuthStoreError } from '@airelays/auth-store'
import type { ConfigFlags } from '@airelays/config'
import { createUpstreamClient } from '@airelays/upstream-client'
import { loginHint } from '../_internal/client'
import { authStoreFor, describeAuth } from '../_internal/login-state'
import { type Terminal, printJson } from '../_internal/output'
import { loadSettings } from '../_internal/settings'

/** Options of `airelays logout`. */
export interface LogoutOptions {
  flags: ConfigFlags
  json: boolean
}

/** `airelays logout --json`. */
export interface LogoutPayload {
  /** Stored credentials were deleted. */
  deleted: boolean
  /** The signed-out account (email, else account id); empty when nothing was stored. */
  signed_out: string[]
  /** Other account slots that still hold credentials (from a multi-account installation). */
  remaining: string[]
  /** The issuer accepted the token revocation. */
  revoked: boolean
  /** Why the revocation did not happen or failed (never contains a token), else null. */
  revoke_error: string | null
}

/** `airelays logout`: revoke the upstream tokens, then delete the stored credentials. */
export async function runLogout(term: Terminal, options: LogoutOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  const store = authStoreFor(config)

  let auth: StoredAuth | null = null
  let unreadable: string | null = null
  try {
    auth = await store.get(DEFAULT_SLOT)
  } catch (error) {
    if (
      !isAuthStoreError(error) ||
      (error.code !== 'auth_file_corrupt' && error.code !== 'auth_entry_corrupt')
    ) {
      throw error
    }
    unreadable = error.message
  }

  let revoked = false
  let revokeError: string | null = null
  if (auth) {
    const upstream = createUpstreamClient({
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: config.upstream.client_version,
      credentials: credentialStoreFor(store),
    })
    try {
      const result = await upstream.revoke(auth)
      revoked = result.revoked
      revokeError = result.revoked ? null : result.error
    } finally {
      await upstream.close()
    }
  } else if (unreadable) {
    revokeError = 'The stored credentials could not be read, so no token was revoked.'
  }

  const deleted = await store.delete(DEFAULT_SLOT)
  const facts = describeAuth(auth)
  const label = facts.email ?? facts.account_id
  const remaining = (await store.list().catch(() => [] as string[])).filter((slot) => slot !== DEFAULT_SLOT)

  const payload: LogoutPayload = {
    deleted,
    signed_out: deleted ? [label ?? 'unknown account'] : [],
    remaining,
    revoked,
    revoke_error: revokeError,
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }

  const out = term.out
  out.title('Logout')
  out.section('OpenAI Session')
  if (!deleted) {
    out.field('OpenAI session', 'already empty')
    out.steps('Next Steps', [loginHint(process.env)])
    return 0
  }
  out.field('Signed out', payload.signed_out[0])
  out.field('Tokens revoked', revoked ? 'yes' : `no (${revokeError ?? 'unknown reason'})`)
  out.field('Credentials', 'deleted')
  if (remaining.length > 0) out.field('Remaining', `${remaining.join(', ')} (other account slots, kept)`)
  out.steps('Next Steps', [loginHint(process.env)])
  return 0
}

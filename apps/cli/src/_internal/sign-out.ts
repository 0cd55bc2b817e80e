import type { AuthStore, StoredAccount, StoredAuth } from '@airelays/auth-store'
import { accountLabel, credentialStoreFor, removeAccount } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import { createUpstreamClient } from '@airelays/upstream-client'

/** What signing one account out did. */
export interface SignOutResult {
  label: string
  deleted: boolean
  revoked: boolean
  revokeError: string | null
}

/** Revokes the account's tokens at the issuer (best effort), then deletes its slot. */
export async function signOut(
  config: ResolvedConfig,
  store: AuthStore,
  account: Pick<StoredAccount, 'slot' | 'slug' | 'email'> & { auth: StoredAuth | null },
): Promise<SignOutResult> {
  let revoked = false
  let revokeError: string | null = null
  if (account.auth) {
    const upstream = createUpstreamClient({
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: config.upstream.client_version,
      credentials: credentialStoreFor(store, account.slot),
    })
    try {
      const result = await upstream.revoke(account.auth)
      revoked = result.revoked
      revokeError = result.revoked ? null : result.error
    } finally {
      await upstream.close()
    }
  }
  const deleted = await removeAccount({ store, dataDir: config.paths.data_dir, account })
  return { label: accountLabel(account), deleted, revoked, revokeError }
}

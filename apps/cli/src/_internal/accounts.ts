import type { AuthStore, StoredAccount, StoredAuth } from '@airelays/auth-store'
import { accountLabel, credentialStoreFor, listAccounts, removeAccount } from '@airelays/auth-store'
import type { BalanceMode, ResolvedConfig } from '@airelays/config'
import { createUpstreamClient } from '@airelays/upstream-client'

/** The signed-in accounts of the configured store, in serving order. */
export async function loadAccounts(config: ResolvedConfig, store: AuthStore): Promise<StoredAccount[]> {
  return (await listAccounts({ store, dataDir: config.paths.data_dir })).accounts
}

/** One sentence on how the relay spreads requests over the accounts. */
export function balanceSentence(balance: BalanceMode, count: number): string {
  switch (balance) {
    case 'ordered':
      return 'Balance: ordered. The first account serves every request; the next one takes over when it hits its usage limit.'
    case 'round_robin':
      return `Balance: round_robin. Requests take turns over the ${count} accounts; an account at its usage limit is skipped until it resets.`
    default:
      return 'Balance: balanced. Each request goes to the account with the most capacity left in its longest usage window; an account at its usage limit is skipped until it resets.'
  }
}

/** The note printed after `airelays login` added an account. */
export function addedNote(
  balance: BalanceMode,
  added: StoredAccount,
  accounts: readonly StoredAccount[],
): string {
  const label = accountLabel(added)
  const first = accounts[0] ? accountLabel(accounts[0]) : label
  const how =
    balance === 'ordered'
      ? `${first} is used first; ${label} takes over when it hits its usage limit.`
      : `Requests are spread over all ${accounts.length} accounts (balance: ${balance}); each takes over when another hits its usage limit.`
  return `Added ${label} as account #${added.position}. ${how} A running relay picks this up within seconds.`
}

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

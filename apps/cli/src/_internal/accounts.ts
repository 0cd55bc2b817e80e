import type { AuthStore, StoredAccount } from '@airelays/auth-store'
import { accountLabel, listAccounts } from '@airelays/auth-store'
import type { BalanceMode, ResolvedConfig } from '@airelays/config'

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

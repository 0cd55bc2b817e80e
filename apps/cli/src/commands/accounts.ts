import type { AuthStore, StoredAccount } from '@airelays/auth-store'
import { reorderAccounts, writeAccountOrder } from '@airelays/auth-store'
import type { BalanceMode, ConfigFlags, ResolvedConfig } from '@airelays/config'
import { balanceSentence, loadAccounts } from '../_internal/accounts'
import { connectHost, loginHint, originFor } from '../_internal/client'
import { authStoreFor } from '../_internal/login-state'
import { printJson, type Terminal } from '../_internal/output'
import { readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError } from '../errors'

/** Options of `airelays accounts [list|order A B …|refresh]`. */
export interface AccountsOptions {
  flags: ConfigFlags
  json: boolean
  action: 'list' | 'order' | 'refresh'
  /** The accounts named by `order` (e-mail, prefix or slug). */
  names: readonly string[]
}

/** One entry of `accounts --json`. */
export interface AccountEntry {
  position: number
  email: string | null
  plan: string | null
  account_id: string | null
  authenticated: boolean
  /** Where its credentials live (a path or a keychain entry). */
  store: string
  slug: string
}

/** `airelays accounts --json` (`list` and `order`). */
export interface AccountsPayload {
  accounts: AccountEntry[]
  balance: BalanceMode
}

/** How long `accounts refresh` waits for the relay, in ms (reference: 20 s). */
const REFRESH_TIMEOUT_MS = 20_000

/** `airelays accounts`: list (default), reorder or refresh the signed-in accounts. */
export async function runAccounts(term: Terminal, options: AccountsOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  if (options.action === 'refresh') return refreshAccounts(term, config, options.json)
  const store = authStoreFor(config)
  let accounts = await loadAccounts(config, store)
  if (options.action === 'order') {
    await writeAccountOrder(config.paths.data_dir, reorderAccounts(accounts, options.names))
    accounts = await loadAccounts(config, store)
    if (!options.json) term.out.line('Account order updated.')
  }
  const payload: AccountsPayload = {
    accounts: await Promise.all(accounts.map((a) => entryOf(store, a))),
    balance: config.providers.openai.balance,
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }
  printList(term, payload)
  return 0
}

async function entryOf(store: AuthStore, account: StoredAccount): Promise<AccountEntry> {
  const description = await store.describe(account.slot).catch(() => null)
  return {
    position: account.position,
    email: account.email,
    plan: account.plan,
    account_id: account.accountId,
    authenticated: Boolean(account.auth.tokens.access_token || account.auth.tokens.refresh_token),
    store: description?.location ?? 'unknown',
    slug: account.slug,
  }
}

function printList(term: Terminal, payload: AccountsPayload): void {
  const out = term.out
  out.title('Accounts')
  if (payload.accounts.length === 0) {
    out.section('OpenAI Accounts')
    out.note('No OpenAI accounts are signed in yet.')
    out.steps('Next Steps', [loginHint(process.env)])
    return
  }
  for (const account of payload.accounts) {
    out.section(`#${account.position} ${account.email ?? account.slug}`)
    out.field('Plan', account.plan)
    out.field('Status', account.authenticated ? 'ready' : 'signed out')
    out.field('Slug', account.slug)
    out.field('Store', account.store)
  }
  out.line()
  out.note(balanceSentence(payload.balance, payload.accounts.length))
  out.steps('Manage', [
    `${loginHint(process.env)}   (add an account)`,
    'airelays logout <email>   (sign one out)',
    'airelays logout --all   (sign every account out)',
    'airelays accounts order <email> …   (change the order)',
  ])
}

interface RefreshedAccount {
  slug?: unknown
  email?: unknown
  limited?: unknown
  limited_for_seconds?: unknown
}

/** `accounts refresh`: ask the running relay to probe every account's usage now. */
async function refreshAccounts(term: Terminal, config: ResolvedConfig, json: boolean): Promise<number> {
  const baseUrl = `${originFor(connectHost(config.server.host), config.server.port)}/v1`
  const url = `${baseUrl}/relay/accounts/refresh`
  const headers: Record<string, string> = { accept: 'application/json' }
  if (config.security.require_bearer_auth) {
    const token = await readConfiguredToken(config)
    if (token.token !== null) headers.authorization = `Bearer ${token.token}`
  }
  let response: Response
  let body: string
  try {
    response = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS) })
    body = await response.text()
  } catch (error) {
    if ((error as { name?: unknown }).name === 'TimeoutError') {
      throw new CliError(`The relay at ${baseUrl} did not answer within ${REFRESH_TIMEOUT_MS / 1000} s.`)
    }
    throw new CliError(
      `No running relay to refresh at ${baseUrl}. Account limits are per-process and are already cleared by starting or restarting the relay.`,
    )
  }
  if (response.status >= 400) {
    throw new CliError(`Refresh failed (${response.status}): ${body.slice(0, 200)}`)
  }
  let payload: { accounts?: unknown }
  try {
    payload = JSON.parse(body) as { accounts?: unknown }
  } catch {
    throw new CliError(`Refresh failed (${response.status}): ${body.slice(0, 200)}`)
  }
  if (json) {
    printJson(term.out, payload)
    return 0
  }
  const out = term.out
  out.title('Accounts Refresh')
  out.section('OpenAI Accounts')
  const entries = (Array.isArray(payload.accounts) ? payload.accounts : []) as RefreshedAccount[]
  for (const entry of entries) {
    const label = typeof entry.email === 'string' ? entry.email : String(entry.slug ?? 'account')
    const seconds = typeof entry.limited_for_seconds === 'number' ? entry.limited_for_seconds : null
    out.field(label, entry.limited === true ? `still at limit (resets in ~${seconds ?? '?'}s)` : 'available')
  }
  if (entries.length === 0) out.note('The relay has no OpenAI account.')
  return 0
}

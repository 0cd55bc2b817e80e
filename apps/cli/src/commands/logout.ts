import type { StoredAccount } from '@airelays/auth-store'
import { accountLabel, DEFAULT_SLOT, listAccounts, resolveAccount } from '@airelays/auth-store'
import type { ConfigFlags } from '@airelays/config'
import { loginHint } from '../_internal/client'
import { authStoreFor } from '../_internal/login-state'
import { printJson, type Terminal } from '../_internal/output'
import { loadSettings } from '../_internal/settings'
import { type SignOutResult, signOut } from '../_internal/sign-out'
import { CliError, usageError } from '../errors'

/** Options of `airelays logout [ACCOUNT] [--all]`. */
export interface LogoutOptions {
  flags: ConfigFlags
  json: boolean
  /** E-mail, unambiguous e-mail prefix or slug of the account to sign out. */
  account?: string | undefined
  /** Sign every account out. */
  all?: boolean
  /** Called as `airelays accounts remove` (prints the deprecation tip). */
  viaRemove?: boolean
}

/** `airelays logout --json`. */
export interface LogoutPayload {
  /** Stored credentials were deleted. */
  deleted: boolean
  /** The signed-out accounts (e-mail, else slug); empty when nothing was stored. */
  signed_out: string[]
  /** The accounts still signed in. */
  remaining: string[]
  /** The issuer accepted every token revocation. */
  revoked: boolean
  /** Why a revocation did not happen or failed (never contains a token), else null. */
  revoke_error: string | null
}

/**
 * `airelays logout [ACCOUNT] [--all]`: revoke the upstream tokens, then delete the stored
 * credentials (and the account's slot directory). With several accounts an account or `--all`
 * is required.
 */
export async function runLogout(term: Terminal, options: LogoutOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  if (options.all && options.account !== undefined) {
    throw usageError('Use either an account or --all, not both.')
  }
  const store = authStoreFor(config)
  const listed = await listAccounts({ store, dataDir: config.paths.data_dir })
  const accounts = listed.accounts
  let targets: StoredAccount[]
  if (options.account !== undefined) targets = [resolveAccount(accounts, options.account)]
  else if (options.all) targets = accounts
  else if (accounts.length > 1) {
    throw new CliError(`You have ${accounts.length} OpenAI accounts:`, {
      details: [
        ...accounts.map((a) => `  ${accountLabel(a)}`),
        'Run `airelays logout <email>` or `airelays logout --all`.',
      ],
    })
  } else targets = accounts

  const results: SignOutResult[] = []
  for (const account of targets) results.push(await signOut(config, store, account))
  let revokeError = results.find((r) => r.revokeError !== null)?.revokeError ?? null
  if (targets.length === 0 && options.account === undefined) {
    // Nothing usable, but the root slot may hold unreadable or token-less credentials: clear it.
    const unreadable = listed.problems.some((p) => p.slot === DEFAULT_SLOT)
    if (await store.delete(DEFAULT_SLOT)) {
      results.push({ label: 'unknown account', deleted: true, revoked: false, revokeError: null })
      if (unreadable) revokeError = 'The stored credentials could not be read, so no token was revoked.'
    }
  }
  const remaining = (await listAccounts({ store, dataDir: config.paths.data_dir })).accounts.map(accountLabel)
  const deleted = results.filter((r) => r.deleted)
  const payload: LogoutPayload = {
    deleted: deleted.length > 0,
    signed_out: deleted.map((r) => r.label),
    remaining,
    revoked: results.length > 0 && results.every((r) => r.revoked),
    revoke_error: revokeError,
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }
  printLogout(term, payload, options.viaRemove === true)
  return 0
}

function printLogout(term: Terminal, payload: LogoutPayload, viaRemove: boolean): void {
  const out = term.out
  if (viaRemove && payload.deleted) {
    out.line(`Signed out ${payload.signed_out.join(', ')}. (Tip: \`airelays logout <email>\` does the same.)`)
    return
  }
  out.title('Logout')
  out.section('OpenAI Session')
  if (!payload.deleted) {
    out.field('OpenAI session', 'already empty')
    out.steps('Next Steps', [loginHint(process.env)])
    return
  }
  out.field('Signed out', payload.signed_out.join(', '))
  out.field('Tokens revoked', payload.revoked ? 'yes' : `no (${payload.revoke_error ?? 'unknown reason'})`)
  out.field('Credentials', 'deleted')
  if (payload.remaining.length === 1) {
    out.field('Remaining', `${payload.remaining[0]} (now serves all requests)`)
  } else if (payload.remaining.length > 1) {
    out.field('Remaining', payload.remaining.join(', '))
  }
  if (payload.remaining.length === 0) out.steps('Next Steps', [loginHint(process.env)])
}

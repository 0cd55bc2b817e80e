import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describeSystemError, errnoCode, writeFileAtomic } from './_internal/fs'
import { hasTokens, identityOf } from './_internal/identity'
import { AuthStoreError, isAuthStoreError } from './errors'
import { DEFAULT_SLOT, isValidSlot, slotDirectory } from './slots'
import type { AuthStore, StoredAuth } from './types'

/** One signed-in upstream account: a slot of an {@link AuthStore} holding usable tokens. */
export interface StoredAccount {
  /** Storage slot: `"default"` for the legacy root `<data>`, else the directory name under `<data>/accounts`. */
  slot: string
  /**
   * Public name of the account (what `?account=`, `accounts order` and the traffic log use): the
   * directory name for `accounts/<slug>`, the {@link accountSlug} of its identity for the root.
   */
  slug: string
  /** 1-based position in serving order. */
  position: number
  /** E-mail from the id token, when readable. */
  email: string | null
  /** `chatgpt_plan_type` claim, when readable. */
  plan: string | null
  /** Upstream account id: `tokens.account_id`, else the token claim. */
  accountId: string | null
  /** True for the legacy root slot. */
  legacyRoot: boolean
  /** The stored credentials (secret: never print or log). */
  auth: StoredAuth
}

/** A slot that could not be read during discovery (it is left out of the list). */
export interface AccountProblem {
  slot: string
  /** `AuthStoreError` code, or `"unknown"`. */
  code: string
  message: string
}

/** What {@link listAccounts} found. */
export interface AccountList {
  /** Usable accounts in serving order (manifest order; unknown slugs last). */
  accounts: StoredAccount[]
  /** Slots skipped because reading them failed (corrupt file, keychain error, …). */
  problems: AccountProblem[]
}

/** Options of {@link listAccounts}. */
export interface ListAccountsOptions {
  /** The store holding the slots. */
  store: AuthStore
  /**
   * Data dir whose `accounts/manifest.json` orders the accounts. `null` (e.g. a memory store)
   * means no manifest: root first, then slots by name.
   * @default null
   */
  dataDir?: string | null
}

const MANIFEST = 'manifest.json'

/**
 * The slot name of an account, as the Python implementation makes it: the lower-cased e-mail
 * local part with every run of characters outside `[a-z0-9]` replaced by `-` (leading and
 * trailing dashes dropped, `account` when nothing is left), then `-`, then the first 10 hex
 * digits of sha256 of the account id (or of the e-mail when there is no account id).
 */
export function accountSlug(email: string | null, accountId: string | null): string {
  const local = (email ?? '').split('@')[0]?.toLowerCase() ?? ''
  const base =
    local
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'account'
  const digest = createHash('sha256')
    .update(accountId ?? email ?? '', 'utf8')
    .digest('hex')
    .slice(0, 10)
  return `${base}-${digest}`
}

/** The path of `<data>/accounts/manifest.json`. */
export function accountManifestPath(dataDir: string): string {
  return join(dataDir, 'accounts', MANIFEST)
}

/**
 * The slugs of `<data>/accounts/manifest.json` (`{"order":[slug…]}`), or `[]` when it is missing
 * or unreadable (a broken manifest never stops serving; the next `accounts order` rewrites it).
 */
export async function readAccountOrder(dataDir: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(accountManifestPath(dataDir), 'utf8')
  } catch {
    return []
  }
  try {
    const parsed = JSON.parse(text) as { order?: unknown }
    if (!Array.isArray(parsed?.order)) return []
    return parsed.order.filter((s): s is string => typeof s === 'string')
  } catch {
    return []
  }
}

/** Writes `{"order":[slug…]}` to `<data>/accounts/manifest.json` atomically. */
export async function writeAccountOrder(dataDir: string, order: readonly string[]): Promise<void> {
  const path = accountManifestPath(dataDir)
  try {
    await writeFileAtomic(path, `${JSON.stringify({ order: [...order] }, null, 2)}\n`)
  } catch (error) {
    throw new AuthStoreError(
      'auth_write_failed',
      `Could not write the account order ${path} (${describeSystemError(error)}).`,
      { path, cause: error },
    )
  }
}

/**
 * The signed-in accounts: the legacy root first, then `accounts/*`; slots without an access or
 * refresh token are skipped, the same upstream account id is kept once (first slot wins), then
 * the manifest order applies (unknown slugs last, in that base order).
 */
export async function listAccounts(options: ListAccountsOptions): Promise<AccountList> {
  const { store } = options
  const dataDir = options.dataDir ?? null
  const problems: AccountProblem[] = []
  const found: StoredAccount[] = []
  const seen = new Set<string>()
  for (const slot of await store.list()) {
    let auth: StoredAuth | null
    try {
      auth = await store.get(slot)
    } catch (error) {
      problems.push({
        slot,
        code: isAuthStoreError(error) ? error.code : 'unknown',
        message: error instanceof Error ? error.message : String(error),
      })
      continue
    }
    if (auth === null || !hasTokens(auth)) continue
    const identity = identityOf(auth)
    if (identity.accountId !== null) {
      if (seen.has(identity.accountId)) continue
      seen.add(identity.accountId)
    }
    const legacyRoot = slot === DEFAULT_SLOT
    found.push({
      slot,
      slug: legacyRoot ? accountSlug(identity.email, identity.accountId) : slot,
      position: 0,
      email: identity.email,
      plan: identity.plan,
      accountId: identity.accountId,
      legacyRoot,
      auth,
    })
  }
  const order = dataDir === null ? [] : await readAccountOrder(dataDir)
  const rank = new Map(order.map((slug, i) => [slug, i] as const))
  const sorted = found
    .map((account, i) => ({ account, i }))
    .sort((a, b) => {
      const ra = rank.get(a.account.slug) ?? Number.POSITIVE_INFINITY
      const rb = rank.get(b.account.slug) ?? Number.POSITIVE_INFINITY
      return ra === rb ? a.i - b.i : ra - rb
    })
    .map(({ account }, i) => ({ ...account, position: i + 1 }))
  return { accounts: sorted, problems }
}

/** How an account is named to people: its e-mail, else its slug. */
export function accountLabel(account: Pick<StoredAccount, 'email' | 'slug'>): string {
  return account.email ?? account.slug
}

function knownList(accounts: readonly StoredAccount[]): string {
  return accounts.length === 0 ? '(none)' : accounts.map(accountLabel).join(', ')
}

/**
 * Resolves a selector typed by a person: exact e-mail (case-insensitive) or slug first, then a
 * unique e-mail prefix. Throws `account_ambiguous` ("`x` matches N accounts: a, b. Type more of
 * the email.") or `account_unknown` ("Unknown account `x`. Known accounts: …").
 */
export function resolveAccount(accounts: readonly StoredAccount[], selector: string): StoredAccount {
  const wanted = selector.trim().toLowerCase()
  const exact = accounts.find(
    (a) => (a.email !== null && a.email.toLowerCase() === wanted) || a.slug.toLowerCase() === wanted,
  )
  if (exact) return exact
  const prefixed =
    wanted.length === 0 ? [] : accounts.filter((a) => a.email?.toLowerCase().startsWith(wanted))
  if (prefixed.length === 1) return prefixed[0] as StoredAccount
  if (prefixed.length > 1) {
    throw new AuthStoreError(
      'account_ambiguous',
      `\`${selector}\` matches ${prefixed.length} accounts: ${prefixed.map(accountLabel).join(', ')}. Type more of the email.`,
    )
  }
  throw new AuthStoreError(
    'account_unknown',
    `Unknown account \`${selector}\`. Known accounts: ${knownList(accounts)}.`,
  )
}

/** Where a fresh login goes (see {@link chooseLoginSlot}). */
export interface LoginPlacement {
  /** The slot to save the credentials in. */
  slot: string
  /** The slug the account will have. */
  slug: string
  /**
   * `replaced`: the `--replace` slot; `refreshed`: a slot of the same upstream account;
   * `first`: no account yet, the legacy root; `added`: a new `accounts/<slug>` slot.
   */
  action: 'replaced' | 'refreshed' | 'first' | 'added'
}

/**
 * Chooses the slot for a new login (reference `login`): the `replace` account's slot; else the
 * slot already holding the same upstream account (refreshed in place); else the legacy root when
 * there is no account yet; else a new slot `accounts/<slug>` (never another account's slot).
 */
export function chooseLoginSlot(
  accounts: readonly StoredAccount[],
  auth: StoredAuth,
  replace?: StoredAccount | null,
): LoginPlacement {
  const identity = identityOf(auth)
  if (replace) {
    return {
      slot: replace.slot,
      slug: replace.legacyRoot ? accountSlug(identity.email, identity.accountId) : replace.slot,
      action: 'replaced',
    }
  }
  const same =
    identity.accountId === null ? undefined : accounts.find((a) => a.accountId === identity.accountId)
  if (same) return { slot: same.slot, slug: same.slug, action: 'refreshed' }
  const slug = accountSlug(identity.email, identity.accountId)
  if (accounts.length === 0) return { slot: DEFAULT_SLOT, slug, action: 'first' }
  let slot = slug
  for (let n = 2; accounts.some((a) => a.slot === slot); n++) slot = `${slug}-${n}`
  return { slot, slug: slot, action: 'added' }
}

/**
 * The new serving order after `accounts order A B …`: the named accounts first (selectors as in
 * {@link resolveAccount}), then the others in their current order. Returns slugs.
 */
export function reorderAccounts(accounts: readonly StoredAccount[], selectors: readonly string[]): string[] {
  const named: StoredAccount[] = []
  for (const selector of selectors) {
    const account = resolveAccount(accounts, selector)
    if (!named.includes(account)) named.push(account)
  }
  return [...named, ...accounts.filter((a) => !named.includes(a))].map((a) => a.slug)
}

/** Options of {@link removeAccount}. */
export interface RemoveAccountOptions {
  store: AuthStore
  /** The data dir of file/keychain stores (its `accounts/<slug>` directory is removed); null for memory stores. */
  dataDir: string | null
  /** The account to sign out. */
  account: Pick<StoredAccount, 'slot' | 'slug'>
}

/**
 * Signs one account out: deletes its credentials (keychain entry and/or `auth.json`), removes its
 * slot directory (never the legacy root) and its manifest entry. Resolves true when credentials
 * were deleted.
 */
export async function removeAccount(options: RemoveAccountOptions): Promise<boolean> {
  const { store, dataDir, account } = options
  const deleted = await store.delete(account.slot)
  if (dataDir !== null && account.slot !== DEFAULT_SLOT) {
    const dir = slotDirectory(dataDir, account.slot)
    try {
      await rm(dir, { recursive: true, force: true })
    } catch (error) {
      throw new AuthStoreError(
        'auth_write_failed',
        `Signed out, but could not remove the account directory ${dir} (${describeSystemError(error)}).`,
        { path: dir, slot: account.slot, cause: error },
      )
    }
  }
  if (dataDir !== null) {
    const order = await readAccountOrder(dataDir)
    if (order.includes(account.slug)) {
      await writeAccountOrder(
        dataDir,
        order.filter((s) => s !== account.slug),
      )
    }
  }
  return deleted
}

function fileStamp(path: string): string {
  try {
    const s = statSync(path)
    return `${s.size}:${s.mtimeMs}`
  } catch (error) {
    const code = errnoCode(error)
    return code === 'ENOENT' || code === 'ENOTDIR' ? '-' : `?${code ?? ''}`
  }
}

/**
 * A cheap fingerprint of the account slots on disk (root `auth.json`, every `accounts/<slug>`
 * directory and its `auth.json`, the manifest). It changes when an account is added, removed,
 * reordered or its credentials are rewritten; a relay compares it to reload its pool.
 *
 * Synchronous: a few `stat` calls and one small directory listing take microseconds, where each
 * call through the thread pool costs a round trip on the request that checks (bench/findings.md).
 */
export function accountsSignatureSync(dataDir: string): string {
  const parts = [`root=${fileStamp(join(dataDir, 'auth.json'))}`]
  const accountsDir = join(dataDir, 'accounts')
  let names: string[] = []
  try {
    names = readdirSync(accountsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== DEFAULT_SLOT && isValidSlot(e.name))
      .map((e) => e.name)
      .sort()
  } catch {
    names = []
  }
  for (const name of names) {
    parts.push(`${name}=${fileStamp(join(accountsDir, name, 'auth.json'))}`)
  }
  parts.push(`manifest=${fileStamp(join(accountsDir, MANIFEST))}`)
  return parts.join('|')
}

/** {@link accountsSignatureSync}, as a promise (the original form of this API). */
export async function accountsSignature(dataDir: string): Promise<string> {
  return accountsSignatureSync(dataDir)
}

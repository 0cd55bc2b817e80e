import { accountsSignatureSync, DEFAULT_SLOT, listAccounts } from '@airelays/auth-store'
import type { AccountPool } from '@airelays/upstream-client'
import { createRelayMember, type MemberContext, type RelayMember } from './account-members'

/** The root slot when nobody is signed in: the relay then behaves exactly like a one-login relay. */
const EMPTY_ROOT = { slot: DEFAULT_SLOT, slug: DEFAULT_SLOT, email: null }

const memberKey = (slug: string, slot: string, multi: boolean): string => `${slug}\u0000${slot}\u0000${multi}`

/**
 * Keeps the pool's members in step with the account slots on disk: re-reads them when their
 * signature changed (checked at most once per interval), keeps unchanged members (and so their
 * benches), closes the clients of dropped ones. One reload at a time.
 */
export class AccountSlots {
  readonly #ctx: MemberContext
  readonly #pool: AccountPool<RelayMember>
  readonly #intervalMs: number
  #signature: string | null = null
  #checkedAt = Number.NEGATIVE_INFINITY
  #reloading: Promise<void> | null = null

  constructor(ctx: MemberContext, pool: AccountPool<RelayMember>, intervalMs: number) {
    this.#ctx = ctx
    this.#pool = pool
    this.#intervalMs = intervalMs
  }

  /** The reload in progress, if any. */
  get reloading(): Promise<void> | null {
    return this.#reloading
  }

  /** Re-read the slots now when their signature changed (or always with `force`). */
  reload(force = false): Promise<void> {
    this.#checkedAt = this.#ctx.now()
    this.#reloading ??= this.#doReload(force).finally(() => {
      this.#reloading = null
    })
    return this.#reloading
  }

  /**
   * Waits for a reload in progress, or, when the last check is older than the interval, compares
   * the slots' signature (synchronous `stat`s, microseconds) and reloads only when it changed: an
   * unchanged disk costs the request no wait on the thread pool (bench/findings.md).
   */
  fresh(): Promise<void> | undefined {
    if (this.#reloading) return this.#reloading
    if (this.#ctx.now() - this.#checkedAt < this.#intervalMs) return undefined
    this.#checkedAt = this.#ctx.now()
    const next = signatureOf(this.#ctx.config.paths.data_dir)
    if (next !== null && next === this.#signature) return undefined
    return this.reload()
  }

  async #doReload(force: boolean): Promise<void> {
    const { config, store, secrets, log } = this.#ctx
    const dataDir = config.paths.data_dir
    const pool = this.#pool
    const next = signatureOf(dataDir)
    if (!force && next !== null && next === this.#signature) return
    const { accounts } = await listAccounts({ store, dataDir }).catch(() => ({ accounts: [] }))
    for (const account of accounts) {
      secrets.add(account.auth.tokens.access_token)
      secrets.add(account.auth.tokens.refresh_token)
      secrets.add(account.auth.tokens.id_token)
    }
    const wanted = accounts.length > 0 ? accounts : [EMPTY_ROOT]
    const multi = wanted.length >= 2
    const current = new Map(pool.members().map((m) => [memberKey(m.slug, m.slot, m.multi), m]))
    const members = wanted.map(
      (a) =>
        current.get(memberKey(a.slug, a.slot, multi)) ??
        createRelayMember(this.#ctx, { slot: a.slot, slug: a.slug, email: a.email }, multi),
    )
    const kept = new Set(members)
    const dropped = pool.members().filter((m) => !kept.has(m))
    const changed = this.#signature !== null && next !== this.#signature
    pool.setMembers(members)
    this.#signature = next
    for (const m of dropped) void m.client.close().catch(() => {})
    if (changed) {
      log.write('startup', 'account_pool_reloaded', {
        accounts: members.map((m) => m.slug),
        balance: config.providers.openai.balance,
      })
    }
  }
}

/** The slots' signature, or null when it cannot be read (then the slots are re-read). */
function signatureOf(dataDir: string): string | null {
  try {
    return accountsSignatureSync(dataDir)
  } catch {
    return null
  }
}

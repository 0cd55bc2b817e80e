import type { PooledAccountStatus, UsageSnapshot } from '@airelays/upstream-client'
import { accountNotFound } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

/** One account in `/v1/relay/status` and `POST /v1/relay/accounts/refresh` (never a token). */
export interface AccountStatusEntry extends PooledAccountStatus {}

/** Every account's state in serving order; empty when the relay runs on an injected client. */
export function accountEntries(rt: RelayRuntime): AccountStatusEntry[] {
  return rt.accounts
    ? rt.accounts.client.accounts().filter((a) => a.slug !== 'default' || a.email !== null)
    : []
}

/** `POST /v1/relay/accounts/refresh`: fresh usage probes of every account (never clears a bench up front). */
export function accountsRefresh(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    if (rt.accounts) await rt.accounts.client.refreshAccounts({ force: true })
    const accounts = accountEntries(rt)
    rt.log.write(req.id, 'accounts_refresh', {
      accounts: accounts.map((a) => ({
        account: a.slug,
        limited: a.limited,
        limited_for_seconds: a.limited_for_seconds,
      })),
    })
    return req.json({ object: 'accounts.refresh', accounts })
  }
}

/**
 * `GET /v1/subscription/status?all_accounts=true` (with two or more accounts) and `?account=SLUG`;
 * null when neither applies (the primary account's status is served).
 */
export async function accountsSubscription(
  rt: RelayRuntime,
  query: Record<string, string | undefined>,
  raw: boolean,
  signal: AbortSignal | undefined,
): Promise<unknown | null> {
  const strip = ({ raw: upstreamRaw, ...normalised }: UsageSnapshot): Record<string, unknown> =>
    raw ? { ...normalised, raw: upstreamRaw } : normalised
  const account = query.account
  if (typeof account === 'string' && account !== '') {
    const entry = accountEntries(rt).find((a) => a.slug === account)
    if (!entry || !rt.accounts) throw accountNotFound(account)
    return strip(await rt.accounts.client.usageOf(entry.slug, { signal }))
  }
  const all = ['1', 'true', 'yes', 'on'].includes((query.all_accounts ?? '').trim().toLowerCase())
  const entries = accountEntries(rt)
  if (!all || !rt.accounts || entries.length < 2) return null
  const client = rt.accounts.client
  const accounts = await Promise.all(
    entries.map(async (a) => {
      try {
        return { slug: a.slug, email: a.email, status: strip(await client.usageOf(a.slug, { signal })) }
      } catch (error) {
        return { slug: a.slug, email: a.email, error: error instanceof Error ? error.message : String(error) }
      }
    }),
  )
  return { object: 'subscription_status_list', accounts }
}

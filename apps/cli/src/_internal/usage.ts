import { credentialStoreFor } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import type { UsageSnapshot, UsageWindow } from '@airelays/upstream-client'
// the read-only entry: the barrel would also load the Responses code and all of @airelays/translate
import { createUpstreamReader } from '@airelays/upstream-client/reader'
import { authStoreFor } from './login-state'
import type { Terminal } from './output'

/** How long `status` waits for the subscription usage, in ms. */
const USAGE_TIMEOUT_MS = 5000

/** The subscription usage (`/wham/usage`), or the reason it could not be read. */
export async function readUsage(
  config: ResolvedConfig,
  clientVersion: string,
): Promise<{ usage: UsageSnapshot | null; error: string | null }> {
  const upstream = createUpstreamReader({
    baseUrl: config.upstream.base_url,
    issuerUrl: config.upstream.issuer_base_url,
    clientId: config.upstream.client_id,
    clientVersion,
    credentials: credentialStoreFor(authStoreFor(config)),
    requestTimeoutMs: USAGE_TIMEOUT_MS,
    retry: { attempts: 0 },
    // one GET in a command that exits: node:http rather than loading undici (~130 ms)
    transport: 'node',
  })
  try {
    return { usage: await upstream.usage({ signal: AbortSignal.timeout(USAGE_TIMEOUT_MS) }), error: null }
  } catch (error) {
    return { usage: null, error: error instanceof Error ? error.message : String(error) }
  } finally {
    await upstream.close().catch(() => {})
  }
}

function windowText(window: UsageWindow): string {
  const used = window.used_percent === null ? '?' : `${window.used_percent}%`
  const reset = window.reset_at_iso ? `, resets ${window.reset_at_iso}` : ''
  return `${used} used${reset}`
}

/**
 * The Usage section: only the windows the backend reports (a weekly-only plan shows no 5-hour
 * line), other metered limits, code review, credits, spend control and banked resets.
 */
export function printUsage(term: Terminal, usage: UsageSnapshot): void {
  const out = term.out
  out.section('Usage')
  out.field('Plan', usage.account.plan_type)
  if (usage.windows.five_hour) out.field('5-hour window', windowText(usage.windows.five_hour))
  if (usage.windows.weekly) out.field('Weekly window', windowText(usage.windows.weekly))
  for (const limit of usage.rate_limits.additional) {
    const window = limit.rate_limit?.primary_window
    if (window) out.field(limit.limit_name ?? limit.metered_feature ?? 'Other limit', windowText(window))
  }
  const review = usage.rate_limits.code_review?.primary_window
  if (review) out.field('Code review', windowText(review))
  const credits = usage.credits
  if (credits && (credits.has_credits || credits.unlimited)) {
    out.field('Credits', credits.unlimited ? 'unlimited' : String(credits.balance ?? '?'))
  }
  const spend = usage.spend_control as { reached?: unknown; reached_limit_type?: unknown } | null
  if (spend && spend.reached === true) {
    out.field('Spend control', `limit reached (${String(spend.reached_limit_type ?? 'unknown')})`)
  }
  if (typeof usage.rate_limit_reached_type === 'string')
    out.field('Limit reached', usage.rate_limit_reached_type)
  const resets = (usage.rate_limit_reset_credits as { available_count?: unknown } | null)?.available_count
  if (typeof resets === 'number' && resets > 0) out.field('Banked resets', resets)
}

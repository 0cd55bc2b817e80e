// Subscription usage: `/backend-api/wham/usage`, falling back to `{baseUrl}/usage` on 403/404.
import type { CallOptions } from '../../client-api'
import { UpstreamError, isRecord } from '../../errors'
import { type UsageSnapshot, normalizeUsage } from '../../usage'
import { parseJsonSafe } from '../http'
import { type ClientContext, ensureOpen } from './context'
import { getWithAuth, httpFailure } from './transport'

const WHAT = 'Usage request'

/** The usage endpoints in the order they are tried. */
export function usageUrls(baseUrl: string): { primary: string; fallback: string } {
  return { primary: `${baseUrl.replace(/\/codex$/, '')}/wham/usage`, fallback: `${baseUrl}/usage` }
}

/** `usage()` of the client. */
export async function fetchUsage(ctx: ClientContext, options: CallOptions = {}): Promise<UsageSnapshot> {
  ensureOpen(ctx)
  const signal = options.signal
  const urls = usageUrls(ctx.settings.baseUrl)
  let url = urls.primary
  let result = await getWithAuth(ctx, { url, what: WHAT, signal })
  if (result.status === 403 || result.status === 404) {
    url = urls.fallback
    result = await getWithAuth(ctx, { url, what: WHAT, signal })
  }
  if (result.status >= 400) throw httpFailure(ctx, result, WHAT)
  const payload = parseJsonSafe(result.text)
  if (!isRecord(payload)) {
    throw new UpstreamError({
      code: 'upstream_http_error',
      message: 'Upstream usage payload is not a JSON object.',
      upstreamStatus: result.status,
      headers: result.headers,
    })
  }
  return normalizeUsage(payload, ctx.clock(), new URL(url).pathname)
}

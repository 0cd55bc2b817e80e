import type { UpstreamHooks } from '@airelays/upstream-client'
import type { TrafficLog } from './traffic-log'

/**
 * The upstream client's hooks as traffic log records. Calls without a request id of their own:
 * usage calls only serve the monitoring routes, which are never logged; models calls are
 * attributed to the oldest request waiting for the catalog (`modelsWaiters`).
 */
export function upstreamHooks(log: TrafficLog, modelsWaiters: readonly string[]): UpstreamHooks {
  const USAGE_URL = /\/usage(?:\?|$)/
  const write = (
    requestId: string | null,
    url: string | null,
    phase: string,
    fields: Record<string, unknown>,
  ): void => {
    if (requestId === null && url !== null && USAGE_URL.test(url)) return
    log.write(requestId ?? modelsWaiters[0] ?? 'upstream', phase, fields)
  }
  return {
    onRequest: (info) =>
      write(info.requestId, info.url, 'upstream_request', {
        method: info.method,
        url: info.url,
        attempt: info.attempt,
        session_id: info.sessionId,
      }),
    onResponse: (info) =>
      write(info.requestId, info.url, info.status >= 400 ? 'upstream_response_error' : 'upstream_response', {
        method: info.method,
        url: info.url,
        attempt: info.attempt,
        status_code: info.status,
        headers: info.headers,
        duration_ms: Math.round(info.durationMs * 100) / 100,
      }),
    onRetry: (info) =>
      write(info.requestId, null, 'retry_backoff', {
        attempt: info.attempt,
        max_attempts: info.maxAttempts,
        delay_seconds: info.delaySeconds,
        status_code: info.status,
        reason: info.reason,
      }),
    onRetrySkipped: (info) =>
      write(info.requestId, null, 'retry_skipped', {
        reason: info.reason,
        attempt: info.attempt,
        status_code: info.status,
        resets_in_seconds: info.resetsInSeconds,
      }),
    onRefresh: (info) =>
      log.write('upstream-auth', 'upstream_auth_refresh', {
        reason: info.reason,
        outcome: info.outcome,
        error: info.error ? { code: info.error.code, message: info.error.message } : null,
      }),
    onStreamEnd: (info) => {
      const ok = info.status === 'completed' || info.status === 'incomplete'
      write(info.requestId, null, ok ? 'upstream_usage' : 'upstream_stream_error', {
        status: info.status,
        response_id: info.responseId,
        events: info.events,
        usage: info.usage,
        ...(info.error
          ? { error: info.error.upstreamError ?? { code: info.error.code, message: info.error.message } }
          : {}),
      })
    },
  }
}

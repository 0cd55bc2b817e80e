// Observability taps of the upstream client, and the events they receive.
import type { UpstreamError } from './errors'

/** Observability taps (the relay's traffic log). Hooks must not throw; exceptions are swallowed. */
export interface UpstreamHooks {
  /** Before every upstream HTTP call (each retry included). */
  onRequest?(info: {
    method: string
    url: string
    attempt: number
    requestId: string | null
    sessionId: string | null
  }): void
  /** When the upstream's response headers arrive. */
  onResponse?(info: {
    method: string
    url: string
    attempt: number
    requestId: string | null
    status: number
    headers: Record<string, string>
    durationMs: number
  }): void
  /** Before sleeping for a retry (reference `retry_backoff`). */
  onRetry?(info: {
    attempt: number
    maxAttempts: number
    delaySeconds: number
    status: number | null
    /** The failure message, at most 500 characters. */
    reason: string
    requestId: string | null
  }): void
  /** When a retry is not made (reference `retry_skipped`). */
  onRetrySkipped?(info: {
    reason: 'quota_resets_beyond_backoff' | 'retry_after_beyond_backoff' | 'client_disconnected'
    attempt: number
    status: number | null
    resetsInSeconds: number | null
    requestId: string | null
  }): void
  /** After every refresh decision (issuer refresh, reload from the store, failure). */
  onRefresh?(info: RefreshEvent): void
  /** Once per stream returned by `responses()`. */
  onStreamEnd?(info: StreamEndInfo): void
}
/** Why a refresh happened. */
export type RefreshReason = 'proactive' | 'unauthorized'

/** Reported to `hooks.onRefresh`. */
export interface RefreshEvent {
  reason: RefreshReason
  /** `refreshed`: new tokens from the issuer; `reloaded`: the store already had newer tokens; `failed`. */
  outcome: 'refreshed' | 'reloaded' | 'failed'
  error?: UpstreamError
  /** Set when the refreshed tokens could not be saved (they are kept in memory and saved again later). */
  warning?: string
}

/** How a stream ended, as reported to `hooks.onStreamEnd`. */
export type StreamEndStatus = 'completed' | 'incomplete' | 'failed' | 'error' | 'cancelled'

/** Reported once per stream to `hooks.onStreamEnd`. */
export interface StreamEndInfo {
  status: StreamEndStatus
  /** `response.usage` of the terminal event, when there was one. */
  usage: Record<string, unknown> | null
  /** Upstream response id (`resp_…`), when seen. */
  responseId: string | null
  /** Events delivered to the caller. */
  events: number
  requestId: string | null
  /** The failure, for `failed` / `error`. */
  error?: UpstreamError
}

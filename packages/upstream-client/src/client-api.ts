// The upstream client's public surface: the `UpstreamClient` interface and what its calls take and return.

import type { ResponsesEvent, StoredAuth } from './types'
import type { UsageSnapshot } from './usage'

/** Per-call options of `responses()`. */
export interface ResponsesCallOptions {
  /** Abort the call (client disconnected): cancels waits, in-flight calls and the stream. */
  signal?: AbortSignal
  /** Conversation id: sent as `session_id` and used as `prompt_cache_key` when the body has none. @default body.prompt_cache_key */
  sessionId?: string | null
  /** The caller's request id, passed to hooks. */
  requestId?: string | null
  /**
   * Extra request headers sent upstream as given (lower-case names), e.g. the Codex client's
   * `session-id`, `thread-id`, `x-codex-turn-metadata`. They never replace the authentication,
   * identity (`version`, `originator`, `user-agent`) or content headers the client sets.
   */
  headers?: Readonly<Record<string, string>>
}

/** Per-call options of `models()` / `usage()`. */
export interface CallOptions {
  signal?: AbortSignal
}

/** A catalog entry from `GET {baseUrl}/models` (extra upstream fields kept). */
export interface UpstreamModel {
  slug: string
  display_name?: string
  visibility?: string
  priority?: number
  supported_reasoning_levels?: Array<{ effort: string; description?: string }>
  [field: string]: unknown
}

/** State of the models cache (for status pages). */
export interface ModelsCacheStatus {
  enabled: boolean
  ttl_seconds: number
  state: 'fresh' | 'expired' | 'empty' | 'disabled'
  age_seconds: number | null
  expires_in_seconds: number | null
  cached_model_count: number
}

/** Login readiness read from the credential store (no network). */
export interface LoginStatus {
  /** The store holds something (even unusable). */
  credentials_present: boolean
  /** Tokens with an access or refresh token exist. */
  authenticated: boolean
  account_bound: boolean
  /** Authenticated, an account id is known, and it matches `bound_account_id` when one is set. */
  ready_for_requests: boolean
  email: string | null
  plan_type: string | null
  account_id: string | null
  bound_account_id: string | null
  last_refresh: string | null
  /** Access-token expiry (ISO-8601), when readable. */
  access_token_expires_at: string | null
}

/** A Codex backend client bound to one credential store. */
export interface UpstreamClient {
  /**
   * `POST {baseUrl}/responses`. Resolves once the first content-bearing event arrived
   * (`response.created` / `response.in_progress` and the non-standard `response.metadata`,
   * `codex.*`, `responsesapi.*` frames before it are buffered and replayed); failures before
   * that point are retried per the retry settings. Rejects with an `UpstreamError`.
   */
  responses(body: Record<string, unknown>, options?: ResponsesCallOptions): Promise<ResponsesStream>
  /** Visible models (`visibility` "list" or absent), by ascending `priority`; cached per account. */
  models(options?: CallOptions): Promise<UpstreamModel[]>
  /** The Codex client version sent as `version` on `/responses` and as `client_version` on `/models`. */
  readonly clientVersion: string
  /** Drop cached models (e.g. after logout or login). */
  invalidateModels(): void
  /** Models cache state. */
  modelsCacheStatus(): ModelsCacheStatus
  /** Subscription usage: `/backend-api/wham/usage`, falling back to `{baseUrl}/usage` on 403/404. */
  usage(options?: CallOptions): Promise<UsageSnapshot>
  /** Login readiness from the store. */
  status(): Promise<LoginStatus>
  /**
   * Refresh the tokens at the issuer now, whatever their age (e.g. after the account's plan
   * changed, or to test a login), save them through the store, and return the new `status()`.
   * Joins a refresh already running. Reported to `hooks.onRefresh` with reason `forced`.
   * Rejects with `auth_missing`, `auth_incomplete` or `refresh_failed` (kind `auth` when the
   * login has to be redone, `transient` when the issuer could not be reached).
   */
  refresh(options?: CallOptions): Promise<LoginStatus>
  /** Revoke the refresh token (else the access token) at `{issuer}/oauth/revoke`; 10 s timeout; never throws. @default credentials from the store */
  revoke(auth?: StoredAuth | null): Promise<RevokeResult>
  /** Close the default dispatcher (a caller-supplied dispatcher is left open). Idempotent. */
  close(): Promise<void>
}
/**
 * A Responses event stream whose first content-bearing event has arrived. Iterate it once;
 * it yields every event and ends after `response.completed` / `response.incomplete`, or throws
 * an `UpstreamError` (`stream_failed`, `stream_incomplete`, `timeout`, `aborted`).
 * Breaking out of the loop, `return()` or `cancel()` destroy the upstream request at once.
 */
export interface ResponsesStream extends AsyncIterable<ResponsesEvent> {
  /** HTTP status of the upstream response (200). */
  readonly status: number
  /** Upstream response headers (lower-case names), e.g. `x-codex-*`, `x-models-etag`. */
  readonly headers: Readonly<Record<string, string>>
  /** Upstream calls made for this stream (1 + retries + the 401 refresh retry). */
  readonly attempts: number
  /** Session id sent as `session_id` and `prompt_cache_key`, if any. */
  readonly sessionId: string | null
  /** Abort the upstream request now; a pending or later `next()` ends the iteration. */
  cancel(): void
}

/** Outcome of `revoke()`; failures are reported, never thrown. */
export interface RevokeResult {
  /** True when the issuer accepted the revocation (2xx). */
  revoked: boolean
  /** Which token was sent; `null` when there was nothing to revoke. */
  tokenTypeHint: 'refresh_token' | 'access_token' | null
  /** Issuer HTTP status, when it answered. */
  status: number | null
  /** Why it failed (no tokens in it). */
  error: string | null
}

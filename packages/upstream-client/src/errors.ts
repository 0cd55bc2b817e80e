// The upstream's error vocabulary (quota and client codes) is owned by @airelays/translate.
import { UPSTREAM_CLIENT_CODES, UPSTREAM_QUOTA_CODES } from '@airelays/translate/upstream-codes'
import type { ResponsesEvent } from './types'

/** How an upstream failure should be treated (reference §6 "Error classification"). */
export type UpstreamErrorKind = 'quota' | 'client' | 'transient' | 'auth'

/** Stable error codes. Match on these, never on message text. */
export type UpstreamErrorCode =
  // credentials
  | 'auth_missing'
  | 'auth_incomplete'
  | 'auth_account_mismatch'
  | 'auth_rejected'
  | 'refresh_failed'
  // backend calls
  | 'usage_limit'
  | 'rate_limited'
  | 'bad_request'
  | 'client_version_too_old'
  | 'upstream_unavailable'
  | 'upstream_http_error'
  | 'stream_failed'
  | 'stream_incomplete'
  | 'timeout'
  | 'aborted'
  // logins
  | 'login_port_unavailable'
  | 'login_state_mismatch'
  | 'login_failed'
  | 'login_timeout'
  | 'login_cancelled'
  | 'login_workspace_mismatch'
  | 'code_exchange_failed'
  | 'device_login_disabled'
  | 'device_login_failed'
  | 'device_login_timeout'
  | 'device_login_unexpected_payload'

/** Constructor input of `UpstreamError`. */
export interface UpstreamErrorInit {
  code: UpstreamErrorCode
  message: string
  /** @default derived from `code` and `upstreamStatus` */
  kind?: UpstreamErrorKind
  /** HTTP status a relay should answer with. @default derived from `kind`, `code` and `upstreamStatus` */
  status?: number
  /** HTTP status the upstream sent (or the status inside an in-stream error event). */
  upstreamStatus?: number | null
  upstreamError?: Record<string, unknown>
  resetsAt?: number
  resetsInSeconds?: number
  retryAfterSeconds?: number
  headers?: Record<string, string>
  event?: ResponsesEvent
  cause?: unknown
}

const kBrand: unique symbol = Symbol.for('@airelays/upstream-client.UpstreamError')

/**
 * The one error class of this package. `code` is stable; `status` is the HTTP status a relay
 * should answer with (429 quota, the upstream 4xx for client errors, 503 for login problems,
 * 502/504 for transient failures, 499 for a client disconnect); `upstreamStatus` is what the
 * upstream actually sent. Messages never contain tokens.
 */
export class UpstreamError extends Error {
  override readonly name: string = 'UpstreamError'
  readonly code: UpstreamErrorCode
  readonly kind: UpstreamErrorKind
  readonly status: number
  readonly upstreamStatus: number | null
  /** The upstream's error object (`error`, `response.error` or the inline fields), verbatim. */
  readonly upstreamError: Record<string, unknown> | undefined
  /** Epoch seconds when the exhausted quota window resets. */
  readonly resetsAt: number | undefined
  /** Seconds until the exhausted quota window resets. */
  readonly resetsInSeconds: number | undefined
  /** Seconds the upstream asked to wait (`Retry-After`, or "try again in Ns"). */
  readonly retryAfterSeconds: number | undefined
  /** Response headers of the failed upstream call (lower-case names), when there was one. */
  readonly headers: Record<string, string> | undefined
  /** The raw failure event (`error` / `response.failed`) for stream failures. */
  readonly event: ResponsesEvent | undefined

  constructor(init: UpstreamErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.code = init.code
    this.upstreamStatus = init.upstreamStatus ?? null
    this.kind = init.kind ?? defaultKind(init.code, this.upstreamStatus)
    this.status = init.status ?? defaultStatus(init.code, this.kind, this.upstreamStatus)
    this.upstreamError = init.upstreamError
    this.resetsAt = init.resetsAt
    this.resetsInSeconds = init.resetsInSeconds
    this.retryAfterSeconds = init.retryAfterSeconds
    this.headers = init.headers
    this.event = init.event
    // Brand checked by `isUpstreamError` (works across duplicated package copies).
    Object.defineProperty(this, kBrand, { value: true, enumerable: false })
  }

  /** A JSON-safe summary (no cause, no headers). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      status: this.status,
      upstreamStatus: this.upstreamStatus,
      message: this.message,
      upstreamError: this.upstreamError ?? null,
      resetsAt: this.resetsAt ?? null,
      resetsInSeconds: this.resetsInSeconds ?? null,
      retryAfterSeconds: this.retryAfterSeconds ?? null,
    }
  }
}

/** True for any `UpstreamError`, even one created by another copy of this package. */
export function isUpstreamError(value: unknown): value is UpstreamError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [kBrand]?: unknown })[kBrand] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

function defaultKind(code: UpstreamErrorCode, upstreamStatus: number | null): UpstreamErrorKind {
  switch (code) {
    case 'usage_limit':
    case 'rate_limited':
      return 'quota'
    case 'bad_request':
    case 'client_version_too_old':
      return 'client'
    case 'auth_missing':
    case 'auth_incomplete':
    case 'auth_account_mismatch':
    case 'auth_rejected':
    case 'refresh_failed':
    case 'login_port_unavailable':
    case 'login_state_mismatch':
    case 'login_failed':
    case 'login_timeout':
    case 'login_cancelled':
    case 'login_workspace_mismatch':
    case 'code_exchange_failed':
    case 'device_login_disabled':
    case 'device_login_failed':
    case 'device_login_timeout':
    case 'device_login_unexpected_payload':
      return 'auth'
    default:
      return upstreamStatus === 401 ? 'auth' : 'transient'
  }
}

function defaultStatus(
  code: UpstreamErrorCode,
  kind: UpstreamErrorKind,
  upstreamStatus: number | null,
): number {
  if (code === 'aborted') return 499
  if (code === 'timeout') return 504
  switch (kind) {
    case 'quota':
      return 429
    case 'client':
      return upstreamStatus !== null && upstreamStatus >= 400 && upstreamStatus < 500 ? upstreamStatus : 400
    case 'auth':
      return 503
    default:
      return 502
  }
}

/**
 * The error object inside an upstream payload: `error` (object, or a string with
 * `error_description`), `response.error`, FastAPI's `detail`, or the inline `code`/`message`/`param`.
 */
export function extractUpstreamError(payload: unknown): Record<string, unknown> | undefined {
  if (!isRecord(payload)) return undefined
  const error = payload.error
  if (isRecord(error)) return error
  if (typeof error === 'string') {
    const description = payload.error_description
    return {
      code: error,
      message: typeof description === 'string' && description ? description : error,
    }
  }
  const response = payload.response
  if (isRecord(response) && isRecord(response.error)) return response.error
  if (typeof payload.detail === 'string') return { message: payload.detail }
  if (typeof payload.code === 'string' || typeof payload.message === 'string') {
    const inline: Record<string, unknown> = {}
    for (const key of ['type', 'code', 'message', 'param'] as const) {
      if (payload[key] !== undefined) inline[key] = payload[key]
    }
    return inline
  }
  return undefined
}

/**
 * Classify an upstream failure (reference §6 "Error classification"). `payload` is the error
 * body, a stream event or the error object itself; `status` the upstream HTTP status if any.
 *
 * - code or type in usage_limit_reached / rate_limit_reached / rate_limit_exceeded /
 *   insufficient_quota → `'quota'` (relay answers 429);
 * - type `invalid_request_error`, a client code (context_length_exceeded, invalid_prompt,
 *   invalid_value, unsupported_value, unsupported_parameter, unknown_parameter,
 *   string_above_max_length) or a non-empty string `param` → `'client'` (400, passed through);
 * - HTTP 401 → `'auth'`;
 * - any other HTTP 4xx except 403, 408 and 429 (e.g. FastAPI-style `{"detail": …}` validation
 *   errors, 404 unknown items) → `'client'`;
 * - anything else → `'transient'` (502).
 */
export function classifyUpstreamError(payload: unknown, status?: number | null): UpstreamErrorKind {
  const error = extractUpstreamError(payload) ?? (isRecord(payload) ? payload : {})
  const code = typeof error.code === 'string' ? error.code : undefined
  const type = typeof error.type === 'string' ? error.type : undefined
  if ((code && UPSTREAM_QUOTA_CODES.has(code)) || (type && UPSTREAM_QUOTA_CODES.has(type))) return 'quota'
  if (status === 401) return 'auth'
  if (type === 'invalid_request_error') return 'client'
  if (code && UPSTREAM_CLIENT_CODES.has(code)) return 'client'
  if (typeof error.param === 'string' && error.param.length > 0) return 'client'
  if (typeof status === 'number' && status >= 400 && status < 500 && ![403, 408, 429].includes(status)) {
    return 'client'
  }
  return 'transient'
}

/** @internal */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

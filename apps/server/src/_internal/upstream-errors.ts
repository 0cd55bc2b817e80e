import { isUpstreamError, type UpstreamError } from '@airelays/upstream-client'
import { RelayError, toRelayError } from '../errors'
import { clientClosedError } from './body'
import { shuttingDownError } from './context'

const AUTH_ERRORS: Record<string, { code: string; header: string; message?: string }> = {
  auth_missing: {
    code: 'upstream_auth_missing',
    header: 'missing',
    message: 'No ChatGPT login found. Run `airelays login` first.',
  },
  refresh_failed: { code: 'upstream_auth_refresh_failed', header: 'refresh_failed' },
  auth_incomplete: { code: 'upstream_auth_incomplete', header: 'incomplete' },
  auth_account_mismatch: {
    code: 'upstream_auth_account_mismatch',
    header: 'account_mismatch',
    message: 'Stored AIRelays auth is bound to a different upstream account than the active token.',
  },
  auth_rejected: {
    code: 'upstream_auth_rejected',
    header: 'rejected',
    message: 'Upstream ChatGPT login is missing or expired. Run `airelays login` first.',
  },
}

const MAX_MESSAGE = 1000

/** Text that is safe to show: no markup dump, bounded length. */
function cleanMessage(text: unknown, fallback: string): string {
  if (typeof text !== 'string' || text.trim() === '') return fallback
  const trimmed = text.trim()
  if (/^\s*<(!doctype|html|head|body)/i.test(trimmed)) return fallback
  return trimmed.length > MAX_MESSAGE ? `${trimmed.slice(0, MAX_MESSAGE)}…` : trimmed
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value
  if (typeof value === 'number') return String(value)
  return null
}

function upstreamObject(error: UpstreamError): Record<string, unknown> {
  const inner = (error as { upstreamError?: unknown }).upstreamError
  return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {}
}

function wholeSeconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.max(1, Math.ceil(value))
    : null
}

/** Options of {@link toRelayErrorFromUpstream}. */
export interface UpstreamErrorContext {
  /** The relay is shutting down (aborts are not client disconnects then). */
  shuttingDown: boolean
  /** The upstream request timeout in seconds (for the 504 message). */
  timeoutSeconds: number
}

/**
 * Map an error of the upstream call to the relay's envelope: quota → 429 with `Retry-After` and
 * `resets_in_seconds`; login problems → 503 `authentication_error` with `x-airelays-upstream-auth`;
 * client errors → 400 with the upstream message/param/code; transient → 502; timeout → 504.
 * Never raw upstream HTML.
 */
export function toRelayErrorFromUpstream(error: unknown, ctx: UpstreamErrorContext): RelayError {
  if (!isUpstreamError(error)) {
    if (ctx.shuttingDown && isAbort(error)) return shuttingDownError()
    if (isAbort(error)) return clientClosedError(error)
    return toRelayError(error)
  }
  const up = upstreamObject(error)
  const auth = AUTH_ERRORS[error.code]
  if (auth) {
    return new RelayError({
      status: 503,
      type: 'authentication_error',
      code: auth.code,
      message: auth.message ?? cleanMessage(error.message, 'Upstream ChatGPT login problem.'),
      headers: { 'x-airelays-upstream-auth': auth.header, 'x-should-retry': 'false' },
      cause: error,
    })
  }
  switch (error.code) {
    case 'usage_limit':
    case 'rate_limited': {
      const resetsIn = wholeSeconds(error.resetsInSeconds ?? up.resets_in_seconds)
      const resetsAt =
        typeof (error.resetsAt ?? up.resets_at) === 'number' ? (error.resetsAt ?? up.resets_at) : null
      const retryAfter =
        resetsIn ?? wholeSeconds(error.retryAfterSeconds) ?? (error.code === 'usage_limit' ? 60 : 1)
      const extra: Record<string, number> = {}
      if (resetsIn !== null) extra.resets_in_seconds = resetsIn
      if (typeof resetsAt === 'number') extra.resets_at = resetsAt
      const upstreamType = str(up.type)
      return new RelayError({
        status: 429,
        type: upstreamType ?? 'rate_limit_error',
        code:
          str(up.code) ??
          upstreamType ??
          (error.code === 'usage_limit' ? 'usage_limit_reached' : 'rate_limit_exceeded'),
        message: cleanMessage(
          up.message ?? error.message,
          'The ChatGPT subscription usage limit has been reached.',
        ),
        headers: { 'retry-after': String(retryAfter) },
        extra,
        cause: error,
      })
    }
    case 'bad_request':
      return new RelayError({
        status: 400,
        type: str(up.type) ?? 'invalid_request_error',
        code: str(up.code),
        param: str(up.param),
        message: cleanMessage(up.message ?? error.message, 'The upstream rejected the request.'),
        cause: error,
      })
    case 'timeout':
      return new RelayError({
        status: 504,
        type: 'upstream_error',
        code: 'upstream_timeout',
        message: `The upstream did not answer within ${ctx.timeoutSeconds} seconds.`,
        cause: error,
      })
    case 'aborted':
      return ctx.shuttingDown ? shuttingDownError() : clientClosedError(error)
    case 'stream_incomplete':
      return new RelayError({
        status: 502,
        type: 'upstream_error',
        code: 'incomplete_stream',
        message: cleanMessage(error.message, 'Upstream stream ended before response.completed.'),
        cause: error,
      })
    case 'stream_failed':
      return new RelayError({
        status: 502,
        type: 'upstream_error',
        code: str(up.code) ?? str(up.type) ?? 'upstream_error',
        message: cleanMessage(up.message, 'The upstream response failed.'),
        cause: error,
      })
    case 'upstream_unavailable':
      return new RelayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_unavailable',
        message: cleanMessage(error.message, 'Upstream connection failed.'),
        cause: error,
      })
    default:
      return new RelayError({
        status: 502,
        type: 'upstream_error',
        code: str(up.code) ?? 'upstream_error',
        message: cleanMessage(
          up.message,
          `The upstream request failed${typeof error.status === 'number' && error.status > 0 ? ` with status ${error.status}` : ''}.`,
        ),
        cause: error,
      })
  }
}

function isAbort(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { name?: unknown }).name === 'AbortError' ||
      (error as { code?: unknown }).code === 'ABORT_ERR')
  )
}

/** {@link toRelayErrorFromUpstream} with the runtime's context. */
export function upstreamFailure(
  rt: {
    lifecycle: { draining: boolean }
    settings: { config: { upstream: { request_timeout_seconds: number } } }
  },
  error: unknown,
): RelayError {
  return toRelayErrorFromUpstream(error, {
    shuttingDown: rt.lifecycle.draining,
    timeoutSeconds: rt.settings.config.upstream.request_timeout_seconds,
  })
}

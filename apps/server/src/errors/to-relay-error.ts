import { isFileInlinerError } from '@airelays/file-inliner'
import { isTranslateError, type TranslateError } from '@airelays/translate'
import { isUpstreamError, type UpstreamError } from '@airelays/upstream-client'
import { HTTPError } from 'h3'
import type { RelayErrorCode } from './codes'
import { clientClosed, passThrough, relayError, shuttingDown } from './factories'
import { type ErrorEnvelope, isRelayError, type RelayError } from './relay-error'

/** The generic message of an unexpected failure; the detail only goes to the log. */
export const INTERNAL_ERROR_MESSAGE =
  'The AIRelays server hit an unexpected error. The details are in its log.'

/** What the mapping needs to know about the relay when the failure happened. */
export interface FailureContext {
  /** The relay is shutting down (aborts are not client disconnects then). @default false */
  shuttingDown?: boolean
  /** The upstream request timeout in seconds (for the 504 message). */
  upstreamTimeoutSeconds?: number
}

/**
 * Turn anything thrown inside the relay into a {@link RelayError}, the one place where failures
 * get their status, type and code:
 *
 * - relay errors pass through; h3 `HTTPError`s keep their (4xx) status with an envelope;
 * - @airelays/upstream-client errors: quota → 429 with `Retry-After` and `resets_in_seconds`; login
 *   problems → 503 `authentication_error` with `x-airelays-upstream-auth`; client errors → 400 with
 *   the upstream message/param/code; transient → 502; timeout → 504. Never raw upstream HTML;
 * - @airelays/translate errors (a failure event of the upstream stream) keep their envelope;
 * - @airelays/file-inliner errors keep their status and code;
 * - an abort is a client disconnect (499), or 503 while the relay shuts down;
 * - anything else becomes a generic 500 whose detail stays in `cause` (for the log only).
 */
export function toRelayError(value: unknown, context: FailureContext = {}): RelayError {
  if (isRelayError(value)) return value
  if (HTTPError.isError(value)) return fromHttpError(value)
  if (isUpstreamError(value)) return fromUpstream(value, context)
  if (isTranslateError(value)) return fromTranslate(value)
  if (isFileInlinerError(value)) {
    if (value.status === 499) return clientClosed(value)
    return passThrough({
      status: value.status,
      type: value.status >= 500 ? 'server_error' : 'invalid_request_error',
      code: value.code,
      param: value.param,
      message: value.message,
      cause: value,
    })
  }
  if (isAbort(value)) return abortFailure(value, context)
  return internalError(value)
}

/**
 * The wire error object of `error` for in-band stream errors: the same `type` and `code` as the
 * HTTP error the failure would have given before the stream started (an upstream timeout is
 * `upstream_timeout` either way). A timeout keeps the upstream client's message, which says which
 * limit was hit (the stream idle timeout, mid-stream).
 */
export function inBandEnvelope(error: unknown, context: FailureContext): ErrorEnvelope {
  const envelope = toRelayError(error, context).toJSON()
  if (isUpstreamError(error) && error.code === 'timeout' && error.message.trim() !== '') {
    envelope.error.message = error.message
  }
  return envelope
}

function internalError(cause: unknown): RelayError {
  return relayError({
    status: 500,
    type: 'server_error',
    code: 'server_error',
    message: INTERNAL_ERROR_MESSAGE,
    cause,
  })
}

const STATUS_DEFAULTS: Record<
  number,
  {
    code:
      | 'invalid_request'
      | 'not_found'
      | 'method_not_allowed'
      | 'request_too_large'
      | 'unsupported_media_type'
    message: string
  }
> = {
  400: { code: 'invalid_request', message: 'Bad request.' },
  404: { code: 'not_found', message: 'Not found.' },
  405: { code: 'method_not_allowed', message: 'Method not allowed.' },
  413: { code: 'request_too_large', message: 'Request body exceeds the configured AIRelays limit.' },
  415: { code: 'unsupported_media_type', message: 'Unsupported media type.' },
}

function fromHttpError(value: HTTPError): RelayError {
  const inner = value.cause
  if (isRelayError(inner)) return inner
  if (value.unhandled || value.status >= 500) return internalError(inner ?? value)
  const defaults = STATUS_DEFAULTS[value.status] ?? { code: 'invalid_request', message: 'Bad request.' }
  const headers: Record<string, string> = {}
  value.headers?.forEach((v, k) => {
    headers[k] = v
  })
  return relayError({
    status: value.status,
    type: 'invalid_request_error',
    code: defaults.code,
    message: value.status === 413 ? defaults.message : value.message || defaults.message,
    headers,
    cause: value,
  })
}

function abortFailure(error: unknown, context: FailureContext): RelayError {
  return context.shuttingDown ? shuttingDown() : clientClosed(error)
}

/** A failure event of the upstream stream, as @airelays/translate reported it. */
function fromTranslate(error: TranslateError): RelayError {
  const upstream = (error.upstreamError ?? {}) as Record<string, unknown>
  const headers: Record<string, string> = {}
  const extra: Record<string, number> = {}
  if (error.status === 429) {
    const resetsIn = wholeSeconds(upstream.resets_in_seconds)
    headers['retry-after'] = String(resetsIn ?? 60)
    if (resetsIn !== null) extra.resets_in_seconds = resetsIn
    if (typeof upstream.resets_at === 'number') extra.resets_at = upstream.resets_at
  }
  return passThrough({
    status: error.status,
    type: error.error.type,
    code: error.error.code,
    param: error.error.param,
    message: error.error.message,
    headers,
    extra,
    cause: error,
  })
}

const AUTH_ERRORS: Record<string, { code: RelayErrorCode; header: string; message?: string }> = {
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

function fromUpstream(error: UpstreamError, ctx: FailureContext): RelayError {
  const up = upstreamObject(error)
  const auth = AUTH_ERRORS[error.code]
  if (auth) {
    return relayError({
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
      return passThrough({
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
      return passThrough({
        status: 400,
        type: str(up.type) ?? 'invalid_request_error',
        code: str(up.code),
        param: str(up.param),
        message: cleanMessage(up.message ?? error.message, 'The upstream rejected the request.'),
        cause: error,
      })
    case 'timeout':
      return relayError({
        status: 504,
        type: 'upstream_error',
        code: 'upstream_timeout',
        message:
          ctx.upstreamTimeoutSeconds === undefined
            ? cleanMessage(error.message, 'The upstream did not answer in time.')
            : `The upstream did not answer within ${ctx.upstreamTimeoutSeconds} seconds.`,
        cause: error,
      })
    case 'aborted':
      return abortFailure(error, ctx)
    case 'stream_incomplete':
      return relayError({
        status: 502,
        type: 'upstream_error',
        code: 'incomplete_stream',
        message: cleanMessage(error.message, 'Upstream stream ended before response.completed.'),
        cause: error,
      })
    case 'stream_failed':
      return passThrough({
        status: 502,
        type: 'upstream_error',
        code: str(up.code) ?? str(up.type) ?? 'upstream_error',
        message: cleanMessage(up.message, 'The upstream response failed.'),
        cause: error,
      })
    case 'upstream_unavailable':
      return relayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_unavailable',
        message: cleanMessage(error.message, 'Upstream connection failed.'),
        cause: error,
      })
    default:
      return passThrough({
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

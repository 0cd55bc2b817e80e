import type { ErrorEnvelope } from '@airelays/translate'
import { HTTPError } from 'h3'

// The wire envelope is owned by @airelays/translate; re-exported from this package's barrel.
export type { ErrorEnvelope }

const kRelayError: unique symbol = Symbol.for('airelays.server.RelayError')

/** Everything needed to build a {@link RelayError}. */
export interface RelayErrorInit {
  /** HTTP status sent to the client. */
  status: number
  /** Human-readable message (goes into `error.message`). */
  message: string
  /** OpenAI error `type`, e.g. `invalid_request_error`. */
  type: string
  /** Stable AIRelays / OpenAI error code, e.g. `invalid_api_key`; `null` when there is none. */
  code: string | null
  /** Request field the error is about, or `null`. */
  param?: string | null
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>
  /** Extra keys merged into the `error` object (e.g. `resets_in_seconds`). */
  extra?: Record<string, number | string | null>
  /** The original error; kept for the log, never sent to the client. */
  cause?: unknown
}

/**
 * The error class of @airelays/server. Everything the relay answers with a non-2xx status goes
 * through it, so the wire format is always the OpenAI envelope
 * `{"error":{"message","type","param","code"}}`.
 *
 * Match on `code` (stable strings) and use {@link isRelayError} rather than `instanceof`.
 *
 * @example
 * throw new RelayError({ status: 404, message: 'Unknown file id `x`.', type: 'invalid_request_error', code: 'file_not_found' })
 */
export class RelayError extends Error {
  /** HTTP status sent to the client. */
  readonly status: number
  /** OpenAI error `type`. */
  readonly type: string
  /** Stable string code, or `null`. */
  readonly code: string | null
  /** Request field the error is about, or `null`. */
  readonly param: string | null
  /** Extra response headers. */
  readonly headers: Record<string, string>
  /** Extra keys of the `error` object. */
  readonly extra: Record<string, number | string | null>

  constructor(init: RelayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'RelayError'
    this.status = init.status
    this.type = init.type
    this.code = init.code
    this.param = init.param ?? null
    this.headers = init.headers ?? {}
    this.extra = init.extra ?? {}
  }

  /** Brand checked by {@link isRelayError}; survives duplicated module copies. */
  get [kRelayError](): true {
    return true
  }

  /** The wire envelope. */
  toJSON(): ErrorEnvelope {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra },
    }
  }
}

/** True when `value` is a {@link RelayError} (from any copy of this package). */
export function isRelayError(value: unknown): value is RelayError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kRelayError] === true
  )
}

const STATUS_DEFAULTS: Record<number, { type: string; code: string; message: string }> = {
  400: { type: 'invalid_request_error', code: 'invalid_request', message: 'Bad request.' },
  404: { type: 'invalid_request_error', code: 'not_found', message: 'Not found.' },
  405: { type: 'invalid_request_error', code: 'method_not_allowed', message: 'Method not allowed.' },
  413: {
    type: 'invalid_request_error',
    code: 'request_too_large',
    message: 'Request body exceeds the configured AIRelays limit.',
  },
  415: { type: 'invalid_request_error', code: 'unsupported_media_type', message: 'Unsupported media type.' },
}

/** The generic message of an unexpected failure; the detail only goes to the log. */
export const INTERNAL_ERROR_MESSAGE =
  'The AIRelays server hit an unexpected error. The details are in its log.'

/**
 * Normalise anything thrown inside the relay into a {@link RelayError}: relay errors pass through,
 * h3 `HTTPError`s keep their (4xx) status with an envelope, and anything else becomes a generic 500
 * whose detail stays in `cause` (for the log only).
 */
export function toRelayError(value: unknown): RelayError {
  if (isRelayError(value)) return value
  if (HTTPError.isError(value)) {
    const inner = value.cause
    if (isRelayError(inner)) return inner
    if (value.unhandled || value.status >= 500) return internalError(inner ?? value)
    const defaults = STATUS_DEFAULTS[value.status] ?? {
      type: 'invalid_request_error',
      code: 'invalid_request',
      message: 'Bad request.',
    }
    const headers: Record<string, string> = {}
    value.headers?.forEach((v, k) => {
      headers[k] = v
    })
    const message = value.status === 413 ? defaults.message : value.message || defaults.message
    return new RelayError({
      status: value.status,
      type: defaults.type,
      code: defaults.code,
      message,
      headers,
      cause: value,
    })
  }
  return internalError(value)
}

function internalError(cause: unknown): RelayError {
  return new RelayError({
    status: 500,
    type: 'server_error',
    code: 'server_error',
    message: INTERNAL_ERROR_MESSAGE,
    cause,
  })
}

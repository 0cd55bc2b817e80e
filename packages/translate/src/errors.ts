import type { ErrorEnvelope } from './types'

const kTranslateError = Symbol.for('@airelays/translate.TranslateError')

/** Stable codes of {@link TranslateError}. */
export type TranslateErrorCode =
  /** The upstream sent `response.failed` or an `error` event; see `upstreamError`. */
  | 'upstream_failed'
  /** The upstream stream ended without any response payload. */
  | 'upstream_empty'
  /** The upstream stream ended with a payload but before a terminal event. */
  | 'incomplete_stream'

/**
 * Thrown by {@link aggregateResponse} when the upstream stream does not yield a usable
 * response. Match on `code` (or use {@link isTranslateError}), never on the message.
 *
 * `status` is the reference classification (429 for quota codes, 400 for invalid requests,
 * 502 otherwise); `error` is the wire envelope's inner object.
 */
export class TranslateError extends Error {
  readonly code: TranslateErrorCode
  readonly status: number
  /** `{message, type, param, code}` for the `{"error":…}` envelope. */
  readonly error: ErrorEnvelope['error']
  /** The upstream's error object, verbatim, when the upstream sent one. */
  readonly upstreamError: unknown

  constructor(
    code: TranslateErrorCode,
    status: number,
    error: ErrorEnvelope['error'],
    upstreamError?: unknown,
  ) {
    super(error.message)
    this.name = 'TranslateError'
    this.code = code
    this.status = status
    this.error = error
    this.upstreamError = upstreamError
    // Brand checked by isTranslateError(); survives duplicate copies of this package.
    Object.defineProperty(this, kTranslateError, { value: true })
  }

  /** The `{"error":{message,type,param,code}}` envelope. */
  toJSON(): ErrorEnvelope {
    return { error: { ...this.error } }
  }
}

/** True for a {@link TranslateError} from any copy of this package. */
export function isTranslateError(value: unknown): value is TranslateError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [kTranslateError]?: unknown })[kTranslateError] === true
  )
}

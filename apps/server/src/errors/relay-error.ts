import type { ErrorEnvelope } from '@airelays/translate'

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
 * throw new RelayError({ status: 404, message: 'Unknown model `x`.', type: 'invalid_request_error', code: 'model_not_found' })
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
    // Brand checked by isRelayError; survives duplicated module copies.
    Object.defineProperty(this, kRelayError, { value: true })
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

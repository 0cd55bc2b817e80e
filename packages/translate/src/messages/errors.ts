import { classifyStatus, envelopeForThrown } from '../_internal/events'
import { isObject } from '../_internal/util'
import type { AnthropicErrorEnvelope, AnthropicErrorType } from './types'

/** What {@link toAnthropicError} maps: a relay or upstream failure. */
export interface AnthropicErrorInput {
  /** HTTP status of the failure (the relay's or the upstream's). */
  status: number
  /** Stable error code, e.g. `context_length_exceeded`, `server_is_overloaded`. */
  code?: string | null
  /** Error type as the relay or upstream named it, e.g. `invalid_request_error`. */
  type?: string | null
  /** Human message, kept (prefixed with `prompt is too long: ` for a context overflow). */
  message?: string | null
  /** The request id, written as `request_id` in the envelope. @default null */
  requestId?: string | null
  /** Prompt size for a context overflow message (`prompt is too long: N tokens > M maximum`). */
  promptTokens?: number
  /** Context window for the same message. */
  contextWindow?: number
}

/** An Anthropic error response: the HTTP status and the body to send. */
export interface AnthropicErrorResult {
  status: number
  body: AnthropicErrorEnvelope
}

const BY_STATUS: Readonly<Record<number, AnthropicErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
}

const OVERLOAD = new Set([
  'server_is_overloaded',
  'overloaded',
  'overloaded_error',
  'service_unavailable',
  'slow_down',
])
const CONTEXT =
  /context[_ ]length[_ ]exceeded|exceeds the context window|maximum context length|prompt is too long|input is too long/i

/**
 * The Anthropic `error.type` for an HTTP status: 400 `invalid_request_error`, 401
 * `authentication_error`, 402 `billing_error`, 403 `permission_error`, 404 `not_found_error`,
 * 408 / 504 `timeout_error`, 413 `request_too_large`, 429 `rate_limit_error`, 503 / 529
 * `overloaded_error`, other 4xx `invalid_request_error`, other 5xx `api_error`.
 */
export function anthropicErrorType(status: number): AnthropicErrorType {
  const known = BY_STATUS[status]
  if (known !== undefined) return known
  if (status === 503) return 'overloaded_error'
  return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error'
}

function isContextOverflow(input: AnthropicErrorInput): boolean {
  return input.code === 'context_length_exceeded' || CONTEXT.test(input.message ?? '')
}

function isOverload(input: AnthropicErrorInput): boolean {
  return (
    input.status === 503 ||
    input.status === 529 ||
    OVERLOAD.has(input.code ?? '') ||
    input.type === 'service_unavailable_error' ||
    input.type === 'overloaded_error'
  )
}

function overflowMessage(input: AnthropicErrorInput): string {
  const message = input.message ?? ''
  if (/^prompt is too long:/i.test(message))
    return `prompt is too long:${message.slice('prompt is too long:'.length)}`
  if (input.promptTokens !== undefined && input.contextWindow !== undefined) {
    return `prompt is too long: ${input.promptTokens} tokens > ${input.contextWindow} maximum`
  }
  return `prompt is too long: ${message === '' ? 'the input exceeds the context window of this model' : message}`
}

/**
 * A relay or upstream failure -> the Anthropic error response. The type follows the status
 * (see {@link anthropicErrorType}); a context overflow (code `context_length_exceeded`, or a
 * message about the context window) becomes a 400 `invalid_request_error` whose message starts
 * `prompt is too long:` (Claude Code compacts on it); an overload (503, 529,
 * `server_is_overloaded`) becomes a 529 `overloaded_error`.
 */
export function toAnthropicError(input: AnthropicErrorInput): AnthropicErrorResult {
  let status = input.status
  let message = input.message ?? ''
  if (isContextOverflow(input)) {
    status = 400
    message = overflowMessage(input)
  } else if (isOverload(input)) {
    status = 529
    if (message === '') message = 'Overloaded'
  }
  if (message === '') message = 'The upstream request failed.'
  return {
    status,
    body: {
      type: 'error',
      error: { type: anthropicErrorType(status), message },
      request_id: input.requestId ?? null,
    },
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/** The stream `error` payload for an upstream error object (status by the reference classification). */
export function upstreamFailure(upstreamError: unknown): AnthropicErrorEnvelope {
  const source = isObject(upstreamError) ? upstreamError : {}
  const { body } = toAnthropicError({
    status: classifyStatus(upstreamError),
    code: str(source.code),
    type: str(source.type),
    message: str(source.message) ?? 'The upstream response failed.',
  })
  return { type: 'error', error: body.error }
}

/** The stream `error` payload for an exception of the event source. */
export function thrownFailure(error: unknown): { data: AnthropicErrorEnvelope; upstreamError?: unknown } {
  const { error: envelope, upstreamError } = envelopeForThrown(error)
  if (upstreamError !== undefined) return { data: upstreamFailure(upstreamError), upstreamError }
  return { data: { type: 'error', error: { type: 'api_error', message: envelope.message } } }
}

import type { ErrorEnvelope, JsonObject, ResponsesEvent, ResponsesObject } from '../types'
import { UPSTREAM_CLIENT_CODES, UPSTREAM_QUOTA_CODES } from '../upstream-codes'
import { isObject } from './util'

export const DEFAULT_FAILURE_MESSAGE = 'The upstream response failed.'
export const INCOMPLETE_STREAM_MESSAGE = 'Upstream stream ended before response.completed.'
export const EMPTY_STREAM_MESSAGE = 'Upstream stream ended without a response payload.'

/** The `response` object of a `response.*` event, when it has one with an id. */
export function responseOf(event: ResponsesEvent): ResponsesObject | null {
  const response = event.response
  return isObject(response) ? (response as ResponsesObject) : null
}

/** True for `response.failed` and `error` events. */
export function isFailureEvent(event: ResponsesEvent): boolean {
  return event.type === 'response.failed' || event.type === 'error'
}

/**
 * The upstream error object of a failure event: `error`, else `response.error`, else the
 * inline `code` / `message` / `param` of a standard `error` event.
 */
export function upstreamErrorOf(event: ResponsesEvent): JsonObject {
  if (isObject(event.error)) return event.error
  const response = responseOf(event)
  if (response !== null && isObject(response.error)) return response.error
  const inline: JsonObject = {}
  for (const key of ['code', 'message', 'param'] as const) {
    if (event[key] !== undefined && event[key] !== null) inline[key] = event[key]
  }
  return inline
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/**
 * The in-band error for an upstream error object: the upstream message (default "The upstream
 * response failed."), code = upstream code, else type, else "upstream_error"; type = the
 * upstream type when given, else the code.
 */
export function envelopeFor(upstreamError: unknown): ErrorEnvelope['error'] {
  const source = isObject(upstreamError) ? upstreamError : {}
  const code = str(source.code) ?? str(source.type) ?? 'upstream_error'
  return {
    message: str(source.message) ?? DEFAULT_FAILURE_MESSAGE,
    type: str(source.type) ?? code,
    param: str(source.param),
    code,
  }
}

export function incompleteEnvelope(): ErrorEnvelope['error'] {
  return {
    message: INCOMPLETE_STREAM_MESSAGE,
    type: 'upstream_error',
    param: null,
    code: 'incomplete_stream',
  }
}

/** The in-band error for an exception thrown by the event source. */
export function envelopeForThrown(error: unknown): {
  error: ErrorEnvelope['error']
  upstreamError?: unknown
} {
  if (isObject(error) || error instanceof Error) {
    const record = error as unknown as JsonObject
    if (record.upstreamError !== undefined && record.upstreamError !== null) {
      return { error: envelopeFor(record.upstreamError), upstreamError: record.upstreamError }
    }
    const code = str(record.code)
    if (code === 'stream_incomplete' || code === 'incomplete_stream') return { error: incompleteEnvelope() }
    if (code !== null) {
      return {
        error: {
          message: str(record.message) ?? DEFAULT_FAILURE_MESSAGE,
          type: code,
          param: null,
          code,
        },
      }
    }
  }
  return {
    error: {
      message: 'The upstream stream failed unexpectedly.',
      type: 'upstream_error',
      param: null,
      code: 'upstream_error',
    },
  }
}

/** The reference's classification of an upstream error object (429 / 400 / 502). */
export function classifyStatus(upstreamError: unknown): number {
  if (!isObject(upstreamError)) return 502
  const code = upstreamError.code
  const type = upstreamError.type
  if (UPSTREAM_QUOTA_CODES.has(String(code)) || UPSTREAM_QUOTA_CODES.has(String(type))) return 429
  if (type === 'invalid_request_error' || UPSTREAM_CLIENT_CODES.has(String(code))) return 400
  if (typeof upstreamError.param === 'string' && upstreamError.param !== '') return 400
  return 502
}

/** Concatenated `output_text` (and, separately, `refusal`) of a message item. */
export function messageTexts(item: JsonObject): { text: string; refusal: string } {
  let text = ''
  let refusal = ''
  const content = item.content
  if (Array.isArray(content)) {
    for (const part of content) {
      if (!isObject(part)) continue
      if (part.type === 'output_text' && typeof part.text === 'string') text += part.text
      else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal += part.refusal
    }
  }
  return { text, refusal }
}

/** The summary texts of a reasoning item, joined with a blank line. */
export function reasoningSummary(item: JsonObject): string {
  const summary = item.summary
  if (!Array.isArray(summary)) return ''
  return summary
    .filter((part): part is JsonObject => isObject(part) && typeof part.text === 'string' && part.text !== '')
    .map((part) => part.text as string)
    .join('\n\n')
}

/** The finish reason of an incomplete response (`content_filter`, else `length`). */
export function incompleteFinish(response: ResponsesObject | null): 'length' | 'content_filter' {
  const details = response?.incomplete_details
  return isObject(details) && details.reason === 'content_filter' ? 'content_filter' : 'length'
}

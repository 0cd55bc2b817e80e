// Shared by the Messages stream translator and the non-stream converter.

export { StopScanner } from '../_internal/stop'

import { randomHex } from '../_internal/util'
import type { ResponsesObject, ResponsesUsage } from '../types'
import type { AnthropicStopReason, AnthropicUsage, MessagesContext } from './types'

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}

/** Responses usage -> Anthropic usage: `input_tokens` uncached, `cache_read_input_tokens` cached. */
export function anthropicUsage(usage: ResponsesUsage | null | undefined): AnthropicUsage {
  const input = count(usage?.input_tokens)
  const cached = Math.min(input, count(usage?.input_tokens_details?.cached_tokens))
  return {
    input_tokens: input - cached,
    output_tokens: count(usage?.output_tokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  }
}

/** The message id: `msg_` + the upstream response id (without `resp_`), else a new id. */
export function messageId(responseId: unknown, context: MessagesContext): string {
  if (typeof responseId === 'string' && responseId !== '') return `msg_${responseId.replace(/^resp_/, '')}`
  return `msg_${(context.newId ?? (() => randomHex(24)))()}`
}

/** What decides the stop reason of a finished response. */
export interface Outcome {
  response: ResponsesObject | null
  incomplete: boolean
  toolUse: boolean
  refusal: boolean
}

/**
 * `max_tokens` for an incomplete response (`refusal` when the reason was `content_filter`),
 * else `tool_use` when a tool was called, `refusal` when the model refused, else `end_turn`.
 */
export function stopReasonOf(outcome: Outcome): AnthropicStopReason {
  if (outcome.incomplete) {
    const details = outcome.response?.incomplete_details
    return details?.reason === 'content_filter' ? 'refusal' : 'max_tokens'
  }
  if (outcome.toolUse) return 'tool_use'
  return outcome.refusal ? 'refusal' : 'end_turn'
}

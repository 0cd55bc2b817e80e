// Shared by the Messages stream translator and the non-stream converter.

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

/**
 * Finds the client's stop sequences in streamed text. `push` returns the text that can be sent
 * now (holding back a tail that may start a stop sequence) and the matched sequence, if any;
 * `flush` returns the held tail once the text ended.
 */
export class StopScanner {
  #held = ''

  constructor(readonly sequences: readonly string[]) {}

  push(text: string): { text: string; match: string | null } {
    const buffer = this.#held + text
    if (this.sequences.length === 0) return { text: buffer, match: null }
    let at = -1
    let match: string | null = null
    for (const sequence of this.sequences) {
      const i = buffer.indexOf(sequence)
      if (i >= 0 && (at < 0 || i < at)) {
        at = i
        match = sequence
      }
    }
    if (match !== null) {
      this.#held = ''
      return { text: buffer.slice(0, at), match }
    }
    let keep = 0
    for (const sequence of this.sequences) {
      for (let n = Math.min(sequence.length - 1, buffer.length); n > keep; n -= 1) {
        if (buffer.endsWith(sequence.slice(0, n))) {
          keep = n
          break
        }
      }
    }
    this.#held = buffer.slice(buffer.length - keep)
    return { text: buffer.slice(0, buffer.length - keep), match: null }
  }

  flush(): string {
    const held = this.#held
    this.#held = ''
    return held
  }
}

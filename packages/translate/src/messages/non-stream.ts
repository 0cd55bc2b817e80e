import { messageTexts, reasoningSummary } from '../_internal/events'
import { isObject, randomHex } from '../_internal/util'
import type { JsonObject, ResponsesObject } from '../types'
import { anthropicUsage, messageId, StopScanner, stopReasonOf } from './_output'
import { encodeSignature } from './_signature'
import type { AnthropicContentBlock, AnthropicMessage, MessagesContext } from './types'

function toolInput(args: unknown): Record<string, unknown> {
  if (typeof args !== 'string' || args.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(args)
    return isObject(parsed) ? parsed : {}
  } catch {
    return {}
  }
}

function block(item: JsonObject, context: MessagesContext): AnthropicContentBlock | null {
  if (item.type === 'message') {
    const { text, refusal } = messageTexts(item)
    return text + refusal === '' ? null : { type: 'text', text: text + refusal }
  }
  if (item.type === 'reasoning' && context.thinking) {
    const thinking = reasoningSummary(item)
    const encrypted = typeof item.encrypted_content === 'string' ? item.encrypted_content : ''
    if (thinking === '' && encrypted === '') return null
    const signature = encrypted === '' ? '' : encodeSignature(context.upstreamModel, encrypted)
    return { type: 'thinking', thinking, signature }
  }
  if (item.type === 'function_call') {
    const name = typeof item.name === 'string' ? item.name : ''
    const id =
      typeof item.call_id === 'string' && item.call_id !== ''
        ? item.call_id
        : `toolu_${(context.newId ?? (() => randomHex(24)))()}`
    return { type: 'tool_use', id, name: context.toolNameMap[name] ?? name, input: toolInput(item.arguments) }
  }
  return null
}

/**
 * A final Responses object (from {@link aggregateResponse}) -> a non-stream Anthropic message,
 * with the rules of {@link messagesStreamTranslator}: thinking blocks (when `context.thinking`)
 * with the encrypted reasoning as `signature`, text blocks, `tool_use` blocks (`input` parsed
 * from the arguments, `{}` when they are not a JSON object); the text is cut at the first of
 * `context.stopSequences` (`stop_reason: "stop_sequence"`, later blocks dropped); usage with
 * `input_tokens` uncached and `cache_read_input_tokens` cached.
 */
export function toAnthropicMessage(response: ResponsesObject, context: MessagesContext): AnthropicMessage {
  const content: AnthropicContentBlock[] = []
  let refusal = false
  let stopSequence: string | null = null
  for (const item of Array.isArray(response.output) ? response.output : []) {
    if (!isObject(item)) continue
    if (item.type === 'message' && messageTexts(item).refusal !== '') refusal = true
    const next = block(item, context)
    if (next === null) continue
    if (next.type === 'text' && context.stopSequences.length > 0) {
      const { text, match } = new StopScanner(context.stopSequences).push(next.text)
      if (match !== null) {
        if (text !== '') content.push({ type: 'text', text })
        stopSequence = match
        break
      }
    }
    content.push(next)
  }
  const stopReason =
    stopSequence !== null
      ? 'stop_sequence'
      : stopReasonOf({
          response,
          incomplete: response.status === 'incomplete',
          toolUse: content.some((b) => b.type === 'tool_use'),
          refusal,
        })
  return {
    id: messageId(response.id, context),
    type: 'message',
    role: 'assistant',
    content,
    model: context.model,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: anthropicUsage(response.usage),
  }
}

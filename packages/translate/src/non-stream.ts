import { incompleteFinish, messageTexts, reasoningSummary } from './_internal/events'
import { firstStop } from './_internal/stop'
import { clientId } from './_internal/stream-state'
import { isObject, randomHex } from './_internal/util'
import type {
  ChatCompletion,
  ChatFinishReason,
  ChatToolCall,
  ChatUsage,
  ResponsesObject,
  ResponsesUsage,
  TextCompletion,
  TranslationContext,
} from './types'

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}

/**
 * Responses usage -> Chat Completions usage (design §3.2): `prompt_tokens` <- `input_tokens`,
 * `completion_tokens` <- `output_tokens`, `total_tokens` <- `total_tokens` (or the sum),
 * `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`.
 * Missing numbers count as 0.
 */
export function toChatUsage(usage: ResponsesUsage | null | undefined): ChatUsage {
  const source = usage ?? {}
  const prompt = count(source.input_tokens)
  const completion = count(source.output_tokens)
  const total = typeof source.total_tokens === 'number' ? count(source.total_tokens) : prompt + completion
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total,
    prompt_tokens_details: { cached_tokens: count(source.input_tokens_details?.cached_tokens) },
    completion_tokens_details: { reasoning_tokens: count(source.output_tokens_details?.reasoning_tokens) },
  }
}

interface Collected {
  content: string | null
  refusal: string | null
  reasoning: string | null
  toolCalls: ChatToolCall[]
  /** True when the text ended at one of the `stop` sequences. */
  stopped: boolean
}

function joinNonEmpty(parts: string[]): string | null {
  const kept = parts.filter((part) => part !== '')
  return kept.length > 0 ? kept.join('\n\n') : null
}

/**
 * Reads the answer out of a response: message text (every assistant message item, commentary
 * phase included, in output order, separate items joined by a blank line), refusals,
 * reasoning summaries and function / custom tool calls (names mapped back through
 * `toolNameMap`). With `stop` sequences the text ends before the first match and the items
 * after it are dropped, as the stream would.
 */
function collect(response: ResponsesObject, toolNameMap: Record<string, string>, stop: string[]): Collected {
  const texts: string[] = []
  const refusals: string[] = []
  const reasoning: string[] = []
  const toolCalls: ChatToolCall[] = []
  let stopped = false
  for (const item of Array.isArray(response.output) ? response.output : []) {
    if (!isObject(item)) continue
    if (item.type === 'message') {
      const { text, refusal } = messageTexts(item)
      texts.push(text)
      if (stop.length > 0) {
        const joined = joinNonEmpty(texts) ?? ''
        const found = firstStop(joined, stop)
        if (found !== null) {
          texts.length = 0
          texts.push(joined.slice(0, found.at))
          stopped = true
          break
        }
      }
      refusals.push(refusal)
    } else if (item.type === 'reasoning') {
      reasoning.push(reasoningSummary(item))
    } else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      const name = typeof item.name === 'string' ? item.name : ''
      const callId =
        typeof item.call_id === 'string' ? item.call_id : typeof item.id === 'string' ? item.id : ''
      const args =
        item.type === 'function_call'
          ? typeof item.arguments === 'string'
            ? item.arguments
            : '{}'
          : typeof item.input === 'string'
            ? item.input
            : ''
      toolCalls.push({
        id: callId,
        type: 'function',
        function: { name: toolNameMap[name] ?? name, arguments: args },
      })
    }
  }
  return {
    content: joinNonEmpty(texts),
    refusal: joinNonEmpty(refusals),
    reasoning: joinNonEmpty(reasoning),
    toolCalls,
    stopped,
  }
}

function createdOf(response: ResponsesObject, context: TranslationContext): number {
  if (typeof response.created_at === 'number') return response.created_at
  return Math.floor((context.now ?? Date.now)() / 1000)
}

/**
 * A final Responses object -> a `chat.completion` with the id `chatcmpl-` + the upstream id
 * without `resp_`. `finish_reason` is `stop` when the text ended at a `context.stop` sequence
 * (the text is cut before it), else `length` (or `content_filter`) for an incomplete response,
 * else `tool_calls` when the answer calls tools (custom tool calls are sent as function calls
 * with their `input` as `arguments`), else `stop`. `reasoning_content` is present only when the
 * upstream sent a reasoning summary.
 */
export function toChatCompletion(response: ResponsesObject, context: TranslationContext): ChatCompletion {
  const collected = collect(response, context.toolNameMap, context.stop ?? [])
  let finish: ChatFinishReason = collected.toolCalls.length > 0 ? 'tool_calls' : 'stop'
  if (collected.stopped) finish = 'stop'
  else if (response.status === 'incomplete') finish = incompleteFinish(response)
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: collected.content,
    refusal: collected.refusal,
  }
  if (collected.reasoning !== null) message.reasoning_content = collected.reasoning
  if (collected.toolCalls.length > 0) message.tool_calls = collected.toolCalls
  return {
    id:
      typeof response.id === 'string' && response.id !== ''
        ? clientId('chatcmpl-', response.id)
        : `chatcmpl-${(context.newId ?? (() => randomHex(24)))()}`,
    object: 'chat.completion',
    created: createdOf(response, context),
    model: typeof response.model === 'string' ? response.model : context.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: toChatUsage(response.usage),
  }
}

/**
 * A final Responses object -> a `text_completion` (id `cmpl-` + the upstream id without
 * `resp_`): the message text (as in {@link toChatCompletion}, cut at a `context.stop`
 * sequence), `finish_reason` `length` / `content_filter` for an incomplete response that did not
 * stop at a sequence, else `stop`.
 */
export function toTextCompletion(response: ResponsesObject, context: TranslationContext): TextCompletion {
  const collected = collect(response, context.toolNameMap, context.stop ?? [])
  return {
    id:
      typeof response.id === 'string' && response.id !== ''
        ? clientId('cmpl-', response.id)
        : `cmpl-${(context.newId ?? (() => randomHex(24)))()}`,
    object: 'text_completion',
    created: createdOf(response, context),
    model: typeof response.model === 'string' ? response.model : context.model,
    choices: [
      {
        text: collected.content ?? '',
        index: 0,
        logprobs: null,
        finish_reason:
          response.status === 'incomplete' && !collected.stopped ? incompleteFinish(response) : 'stop',
      },
    ],
    usage: toChatUsage(response.usage),
  }
}

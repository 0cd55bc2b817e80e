import {
  envelopeFor,
  envelopeForThrown,
  incompleteEnvelope,
  incompleteFinish,
  isFailureEvent,
  responseOf,
  upstreamErrorOf,
} from './_internal/events'
import { StreamIdentity, TurnText } from './_internal/stream-state'
import { isObject } from './_internal/util'
import { toChatUsage } from './non-stream'
import type {
  ChatChunkDelta,
  ChatCompletionChunk,
  ChatFinishReason,
  ChatToolCallDelta,
  ResponsesEvent,
  StreamItem,
  TextCompletion,
  TranslationContext,
} from './types'

type Events = AsyncIterable<ResponsesEvent> | Iterable<ResponsesEvent>

interface Call {
  index: number
  argsSent: boolean
}

/** Function calls of one turn, found by item id or output index. */
class Calls {
  readonly #byName = new Map<string, Call>()
  count = 0

  find(names: string[]): Call | undefined {
    for (const name of names) {
      const call = this.#byName.get(name)
      if (call !== undefined) return call
    }
    return undefined
  }

  add(names: string[]): Call {
    const call: Call = { index: this.count, argsSent: false }
    this.count += 1
    for (const name of names) this.#byName.set(name, call)
    return call
  }
}

function namesOf(itemId: unknown, outputIndex: unknown): string[] {
  const names: string[] = []
  if (typeof itemId === 'string' && itemId !== '') names.push(itemId)
  if (typeof outputIndex === 'number') names.push(`#${outputIndex}`)
  return names
}

/**
 * Transforms upstream Responses events into `chat.completion.chunk`s.
 *
 * - Chunk `id`, `created` and `model` come from `response.created` (defaults before that:
 *   `chatcmpl-<hex>`, the context clock, the requested model). The first chunk carries
 *   `delta.role: "assistant"`.
 * - Text deltas become `delta.content`; every assistant message item is included in order
 *   (a `commentary` phase too), separate items separated by a blank line. Reasoning summary
 *   deltas become `delta.reasoning_content`, refusal deltas `delta.refusal`.
 * - Function calls stream incrementally: `output_item.added` announces
 *   `{index, id: call_id, type, function: {name, arguments: ""}}`, argument deltas follow as
 *   `{index, function: {arguments}}`; a call seen only at `output_item.done` is sent whole.
 *   Shortened tool names are mapped back through `context.toolNameMap`.
 * - Exactly one chunk has a `finish_reason`: `tool_calls` / `stop` on `response.completed`,
 *   `length` (or `content_filter`) on `response.incomplete`; then, with
 *   `context.includeUsage`, a usage chunk (`choices: []`); then a `done` item.
 * - `response.failed`, an `error` event or an exception from `events` yields one `error`
 *   item (no `done`); a stream that ends before a terminal event yields the `error`
 *   "Upstream stream ended before response.completed." (`incomplete_stream`).
 */
export async function* chatChunks(
  events: Events,
  context: TranslationContext,
): AsyncGenerator<StreamItem<ChatCompletionChunk>, void, undefined> {
  const identity = new StreamIdentity(context, 'chatcmpl-')
  const text = new TurnText()
  const calls = new Calls()
  const toolNames = context.toolNameMap
  let roleSent = false

  const chunk = (
    delta: ChatChunkDelta,
    finish: ChatFinishReason | null = null,
  ): StreamItem<ChatCompletionChunk> => {
    identity.lock()
    const withRole: ChatChunkDelta = roleSent ? delta : { role: 'assistant', ...delta }
    roleSent = true
    const data: ChatCompletionChunk = {
      id: identity.id,
      object: 'chat.completion.chunk',
      created: identity.created,
      model: identity.model,
      choices: [{ index: 0, delta: withRole, logprobs: null, finish_reason: finish }],
    }
    if (context.includeUsage) data.usage = null
    return { kind: 'chunk', data }
  }
  const toolChunk = (call: ChatToolCallDelta): StreamItem<ChatCompletionChunk> =>
    chunk({ tool_calls: [call] })

  try {
    for await (const event of events) {
      if (!isObject(event)) continue
      identity.observe(event)
      if (isFailureEvent(event)) {
        const upstreamError = upstreamErrorOf(event)
        yield { kind: 'error', data: { error: envelopeFor(upstreamError) }, upstreamError }
        return
      }

      const pieces = text.read(event)
      if (pieces.reasoning !== undefined) yield chunk({ reasoning_content: pieces.reasoning })
      if (pieces.content !== undefined) yield chunk({ content: pieces.content })
      if (pieces.refusal !== undefined) yield chunk({ refusal: pieces.refusal })

      switch (event.type) {
        case 'response.output_item.added': {
          const item = event.item
          if (!isObject(item) || item.type !== 'function_call') break
          const names = namesOf(item.id, event.output_index)
          if (calls.find(names) !== undefined) break
          const call = calls.add(names)
          const name = typeof item.name === 'string' ? item.name : ''
          const initial = typeof item.arguments === 'string' ? item.arguments : ''
          call.argsSent = initial !== ''
          yield toolChunk({
            index: call.index,
            id: typeof item.call_id === 'string' ? item.call_id : String(item.id ?? ''),
            type: 'function',
            function: { name: toolNames[name] ?? name, arguments: initial },
          })
          break
        }
        case 'response.function_call_arguments.delta': {
          const call = calls.find(namesOf(event.item_id, event.output_index))
          if (call === undefined || typeof event.delta !== 'string' || event.delta === '') break
          call.argsSent = true
          yield toolChunk({ index: call.index, function: { arguments: event.delta } })
          break
        }
        case 'response.function_call_arguments.done': {
          const call = calls.find(namesOf(event.item_id, event.output_index))
          if (call === undefined || call.argsSent) break
          if (typeof event.arguments !== 'string' || event.arguments === '') break
          call.argsSent = true
          yield toolChunk({ index: call.index, function: { arguments: event.arguments } })
          break
        }
        case 'response.output_item.done': {
          const item = event.item
          if (!isObject(item) || item.type !== 'function_call') break
          const names = namesOf(item.id, event.output_index)
          const args = typeof item.arguments === 'string' ? item.arguments : ''
          const known = calls.find(names)
          if (known === undefined) {
            const call = calls.add(names)
            call.argsSent = true
            const name = typeof item.name === 'string' ? item.name : ''
            yield toolChunk({
              index: call.index,
              id: typeof item.call_id === 'string' ? item.call_id : String(item.id ?? ''),
              type: 'function',
              function: { name: toolNames[name] ?? name, arguments: args },
            })
          } else if (!known.argsSent && args !== '') {
            known.argsSent = true
            yield toolChunk({ index: known.index, function: { arguments: args } })
          }
          break
        }
        case 'response.completed':
        case 'response.incomplete': {
          const response = responseOf(event)
          const finish: ChatFinishReason =
            event.type === 'response.incomplete'
              ? incompleteFinish(response)
              : calls.count > 0
                ? 'tool_calls'
                : 'stop'
          yield chunk({}, finish)
          if (context.includeUsage) {
            yield {
              kind: 'chunk',
              data: {
                id: identity.id,
                object: 'chat.completion.chunk',
                created: identity.created,
                model: identity.model,
                choices: [],
                usage: toChatUsage(response?.usage),
              },
            }
          }
          yield { kind: 'done' }
          return
        }
        default:
          break
      }
    }
  } catch (error) {
    const { error: envelope, upstreamError } = envelopeForThrown(error)
    yield upstreamError === undefined
      ? { kind: 'error', data: { error: envelope } }
      : { kind: 'error', data: { error: envelope }, upstreamError }
    return
  }
  yield { kind: 'error', data: { error: incompleteEnvelope() } }
}

/**
 * Transforms upstream Responses events into legacy `text_completion` chunks: text deltas as
 * `choices[0].text` (message items separated by a blank line), one terminal chunk with text
 * "" and `finish_reason` `stop` (or `length` / `content_filter` for an incomplete response),
 * a usage chunk (`choices: []`) when `context.includeUsage`, then `done`. Failures end with one
 * `error` item exactly as in {@link chatChunks}. Ids default to `cmpl-<hex>`.
 */
export async function* completionChunks(
  events: Events,
  context: TranslationContext,
): AsyncGenerator<StreamItem<TextCompletion>, void, undefined> {
  const identity = new StreamIdentity(context, 'cmpl-')
  const text = new TurnText()

  const chunk = (
    piece: string,
    finish: TextCompletion['choices'][number]['finish_reason'],
  ): StreamItem<TextCompletion> => {
    identity.lock()
    const data: TextCompletion = {
      id: identity.id,
      object: 'text_completion',
      created: identity.created,
      model: identity.model,
      choices: [{ text: piece, index: 0, logprobs: null, finish_reason: finish }],
    }
    if (context.includeUsage) data.usage = null
    return { kind: 'chunk', data }
  }

  try {
    for await (const event of events) {
      if (!isObject(event)) continue
      identity.observe(event)
      if (isFailureEvent(event)) {
        const upstreamError = upstreamErrorOf(event)
        yield { kind: 'error', data: { error: envelopeFor(upstreamError) }, upstreamError }
        return
      }
      const pieces = text.read(event)
      if (pieces.content !== undefined) yield chunk(pieces.content, null)
      if (event.type === 'response.completed' || event.type === 'response.incomplete') {
        const response = responseOf(event)
        yield chunk('', event.type === 'response.incomplete' ? incompleteFinish(response) : 'stop')
        if (context.includeUsage) {
          yield {
            kind: 'chunk',
            data: {
              id: identity.id,
              object: 'text_completion',
              created: identity.created,
              model: identity.model,
              choices: [],
              usage: toChatUsage(response?.usage),
            },
          }
        }
        yield { kind: 'done' }
        return
      }
    }
  } catch (error) {
    const { error: envelope, upstreamError } = envelopeForThrown(error)
    yield upstreamError === undefined
      ? { kind: 'error', data: { error: envelope } }
      : { kind: 'error', data: { error: envelope }, upstreamError }
    return
  }
  yield { kind: 'error', data: { error: incompleteEnvelope() } }
}

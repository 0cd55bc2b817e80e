import { BaseTranslator, type IncompleteReason, type StreamTranslator } from './_internal/stream-base'
import { isObject } from './_internal/util'
import { toChatUsage } from './non-stream'
import type {
  ChatChunkDelta,
  ChatCompletionChunk,
  ChatFinishReason,
  ChatToolCallDelta,
  ResponsesEvent,
  ResponsesUsage,
  StreamItem,
  TextCompletion,
  TranslationContext,
} from './types'

export type { StreamTranslator } from './_internal/stream-base'

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

/** Output item types that become chat `tool_calls`. */
const CALL_ITEMS: ReadonlySet<unknown> = new Set(['function_call', 'custom_tool_call'])

/** The argument text of a call item: `arguments` (function) or `input` (custom tool). */
function callText(item: Record<string, unknown>): string {
  if (typeof item.arguments === 'string') return item.arguments
  return typeof item.input === 'string' ? item.input : ''
}

class ChatTranslator extends BaseTranslator<ChatCompletionChunk> {
  readonly #calls = new Calls()
  #roleSent = false

  constructor(context: TranslationContext) {
    super(context, 'chatcmpl-')
  }

  #chunk(delta: ChatChunkDelta, finish: ChatFinishReason | null = null): StreamItem<ChatCompletionChunk> {
    const identity = this.identity
    identity.lock()
    const withRole: ChatChunkDelta = this.#roleSent ? delta : { role: 'assistant', ...delta }
    this.#roleSent = true
    const data: ChatCompletionChunk = {
      id: identity.id,
      object: 'chat.completion.chunk',
      created: identity.created,
      model: identity.model,
      choices: [{ index: 0, delta: withRole, logprobs: null, finish_reason: finish }],
    }
    if (this.context.includeUsage) data.usage = null
    return { kind: 'chunk', data }
  }

  protected contentChunk(text: string): StreamItem<ChatCompletionChunk> {
    return this.#chunk({ content: text })
  }

  #toolChunk(call: ChatToolCallDelta, out: StreamItem<ChatCompletionChunk>[]): void {
    this.flushContent(out)
    // A stream whose first output is a tool call still opens with its own role chunk.
    if (!this.#roleSent) out.push(this.#chunk({ content: '' }))
    out.push(this.#chunk({ tool_calls: [call] }))
  }

  #announce(
    call: Call,
    item: Record<string, unknown>,
    args: string,
    out: StreamItem<ChatCompletionChunk>[],
  ): void {
    const name = typeof item.name === 'string' ? item.name : ''
    this.#toolChunk(
      {
        index: call.index,
        id: typeof item.call_id === 'string' ? item.call_id : String(item.id ?? ''),
        type: 'function',
        function: { name: this.context.toolNameMap[name] ?? name, arguments: args },
      },
      out,
    )
  }

  protected translate(event: ResponsesEvent, out: StreamItem<ChatCompletionChunk>[]): void {
    const pieces = this.text.read(event)
    if (pieces.reasoning !== undefined) out.push(this.#chunk({ reasoning_content: pieces.reasoning }))
    if (pieces.content !== undefined) this.sendContent(pieces.content, out)
    if (this.stopSequence !== null) return
    if (pieces.refusal !== undefined) out.push(this.#chunk({ refusal: pieces.refusal }))
    const calls = this.#calls
    switch (event.type) {
      case 'response.output_item.added': {
        const item = event.item
        if (!isObject(item) || !CALL_ITEMS.has(item.type)) return
        const names = namesOf(item.id, event.output_index)
        if (calls.find(names) !== undefined) return
        const call = calls.add(names)
        const initial = callText(item)
        call.argsSent = initial !== ''
        this.#announce(call, item, initial, out)
        return
      }
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const call = calls.find(namesOf(event.item_id, event.output_index))
        if (call === undefined || typeof event.delta !== 'string' || event.delta === '') return
        call.argsSent = true
        this.#toolChunk({ index: call.index, function: { arguments: event.delta } }, out)
        return
      }
      case 'response.function_call_arguments.done':
      case 'response.custom_tool_call_input.done': {
        const call = calls.find(namesOf(event.item_id, event.output_index))
        if (call === undefined || call.argsSent) return
        const whole = typeof event.arguments === 'string' ? event.arguments : event.input
        if (typeof whole !== 'string' || whole === '') return
        call.argsSent = true
        this.#toolChunk({ index: call.index, function: { arguments: whole } }, out)
        return
      }
      case 'response.output_item.done': {
        const item = event.item
        if (!isObject(item) || !CALL_ITEMS.has(item.type)) return
        const names = namesOf(item.id, event.output_index)
        const args = callText(item)
        const known = calls.find(names)
        if (known === undefined) {
          const call = calls.add(names)
          call.argsSent = true
          this.#announce(call, item, args, out)
        } else if (!known.argsSent && args !== '') {
          known.argsSent = true
          this.#toolChunk({ index: known.index, function: { arguments: args } }, out)
        }
        return
      }
      default:
        return
    }
  }

  protected finalChunk(
    incomplete: IncompleteReason | null,
    stopped: boolean,
  ): StreamItem<ChatCompletionChunk> {
    if (stopped) return this.#chunk({}, 'stop')
    return this.#chunk({}, incomplete ?? (this.#calls.count > 0 ? 'tool_calls' : 'stop'))
  }

  protected usageChunk(usage: ResponsesUsage | null | undefined): ChatCompletionChunk {
    const { id, created, model } = this.identity
    return { id, object: 'chat.completion.chunk', created, model, choices: [], usage: toChatUsage(usage) }
  }
}

class CompletionTranslator extends BaseTranslator<TextCompletion> {
  constructor(context: TranslationContext) {
    super(context, 'cmpl-')
  }

  #chunk(
    piece: string,
    finish: TextCompletion['choices'][number]['finish_reason'],
  ): StreamItem<TextCompletion> {
    const identity = this.identity
    identity.lock()
    const data: TextCompletion = {
      id: identity.id,
      object: 'text_completion',
      created: identity.created,
      model: identity.model,
      choices: [{ text: piece, index: 0, logprobs: null, finish_reason: finish }],
    }
    if (this.context.includeUsage) data.usage = null
    return { kind: 'chunk', data }
  }

  protected translate(event: ResponsesEvent, out: StreamItem<TextCompletion>[]): void {
    const pieces = this.text.read(event)
    if (pieces.content !== undefined) this.sendContent(pieces.content, out)
  }

  protected contentChunk(text: string): StreamItem<TextCompletion> {
    return this.#chunk(text, null)
  }

  protected finalChunk(incomplete: IncompleteReason | null, stopped: boolean): StreamItem<TextCompletion> {
    return this.#chunk('', stopped ? 'stop' : (incomplete ?? 'stop'))
  }

  protected usageChunk(usage: ResponsesUsage | null | undefined): TextCompletion {
    const { id, created, model } = this.identity
    return { id, object: 'text_completion', created, model, choices: [], usage: toChatUsage(usage) }
  }
}

/**
 * A push-based translator of upstream Responses events into `chat.completion.chunk`s, with the
 * rules of {@link chatChunks}. Use it where each event must be written as soon as it arrives.
 *
 * @example
 * const translator = chatStreamTranslator(context)
 * for await (const event of upstream) {
 *   for (const item of translator.push(event)) send(item)
 *   if (translator.finished) break
 * }
 * for (const item of translator.end()) send(item)
 */
export function chatStreamTranslator(context: TranslationContext): StreamTranslator<ChatCompletionChunk> {
  return new ChatTranslator(context)
}

/**
 * A push-based translator of upstream Responses events into legacy `text_completion` chunks, with
 * the rules of {@link completionChunks}.
 */
export function completionStreamTranslator(context: TranslationContext): StreamTranslator<TextCompletion> {
  return new CompletionTranslator(context)
}

async function* drive<T>(
  events: Events,
  translator: StreamTranslator<T>,
): AsyncGenerator<StreamItem<T>, void, undefined> {
  try {
    for await (const event of events) {
      const items = translator.push(event)
      for (const item of items) yield item
      if (translator.finished) return
    }
  } catch (error) {
    yield* translator.fail(error)
    return
  }
  yield* translator.end()
}

/**
 * Transforms upstream Responses events into `chat.completion.chunk`s.
 *
 * - Chunk `id`, `created` and `model` come from `response.created` (the id as `chatcmpl-` + the
 *   upstream id without `resp_`; defaults before that: `chatcmpl-<hex>`, the context clock, the
 *   requested model). The first chunk carries `delta.role: "assistant"`; when the first output
 *   is a tool call, that is a chunk of its own (`{role: "assistant", content: ""}`).
 * - Text deltas become `delta.content`; every assistant message item is included in order
 *   (a `commentary` phase too), separate items separated by a blank line. Reasoning summary
 *   deltas become `delta.reasoning_content`, refusal deltas `delta.refusal`.
 * - Function calls stream incrementally: `output_item.added` announces
 *   `{index, id: call_id, type, function: {name, arguments: ""}}`, argument deltas follow as
 *   `{index, function: {arguments}}`; a call seen only at `output_item.done` is sent whole.
 *   Shortened tool names are mapped back through `context.toolNameMap`. Custom (freeform) tool
 *   calls (`custom_tool_call`) are sent the same way, their `input` as `function.arguments`.
 * - `context.stop`: the text ends before the first match of a stop sequence (a tail that could
 *   start one is held back, so a match split across deltas is caught); then the final chunk
 *   (`finish_reason: "stop"`), an estimated usage chunk with `context.includeUsage`, `done`, and
 *   the translator's `stopSequence` is set: abort the upstream request.
 * - Exactly one chunk has a `finish_reason`: `tool_calls` / `stop` on `response.completed`,
 *   `length` (or `content_filter`) on `response.incomplete`; then, with
 *   `context.includeUsage`, a usage chunk (`choices: []`); then a `done` item.
 * - `response.failed`, an `error` event or an exception from `events` yields one `error`
 *   item (no `done`); a stream that ends before a terminal event yields the `error`
 *   "Upstream stream ended before response.completed." (`incomplete_stream`).
 *
 * {@link chatStreamTranslator} is the same translation, push-based and synchronous.
 */
export function chatChunks(
  events: Events,
  context: TranslationContext,
): AsyncGenerator<StreamItem<ChatCompletionChunk>, void, undefined> {
  return drive(events, new ChatTranslator(context))
}

/**
 * Transforms upstream Responses events into legacy `text_completion` chunks: text deltas as
 * `choices[0].text` (message items separated by a blank line), one terminal chunk with text
 * "" and `finish_reason` `stop` (or `length` / `content_filter` for an incomplete response),
 * a usage chunk (`choices: []`) when `context.includeUsage`, then `done`. Failures end with one
 * `error` item exactly as in {@link chatChunks}. Ids are `cmpl-` + the upstream id without
 * `resp_` (default `cmpl-<hex>`); `context.stop` is honoured as in {@link chatChunks}.
 * {@link completionStreamTranslator} is the same translation, push-based and synchronous.
 */
export function completionChunks(
  events: Events,
  context: TranslationContext,
): AsyncGenerator<StreamItem<TextCompletion>, void, undefined> {
  return drive(events, new CompletionTranslator(context))
}

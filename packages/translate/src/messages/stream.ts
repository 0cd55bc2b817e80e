import {
  isFailureEvent,
  messageTexts,
  reasoningSummary,
  responseOf,
  upstreamErrorOf,
} from '../_internal/events'
import { isObject, randomHex } from '../_internal/util'
import type { JsonObject, ResponsesEvent, ResponsesObject } from '../types'
import { anthropicUsage, messageId, StopScanner, stopReasonOf } from './_output'
import { encodeSignature } from './_signature'
import { thrownFailure, upstreamFailure } from './errors'
import type {
  AnthropicDelta,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicUsage,
  MessagesContext,
  MessagesStreamOptions,
  MessagesStreamTranslator,
} from './types'

type Kind = 'text' | 'thinking' | 'tool'

/** One upstream output item that becomes (at most) one content block. */
interface Item {
  kind: Kind
  /** Content received while another block was open, sent when this item's turn comes. */
  pending: string
  /** A delta (or the whole content) was received: `output_item.done` adds nothing more. */
  received: boolean
  done: boolean
  /** The block index once opened. */
  index: number | null
  closed: boolean
  scanner: StopScanner | null
  signature: string | null
  callId: string | null
  name: string | null
  /** Last reasoning summary part, to separate parts with a blank line. */
  summaryPart: number | null
}

function namesOf(itemId: unknown, outputIndex: unknown): string[] {
  const names: string[] = []
  if (typeof itemId === 'string' && itemId !== '') names.push(itemId)
  if (typeof outputIndex === 'number') names.push(`#${outputIndex}`)
  return names
}

const KINDS: Readonly<Record<string, Kind>> = {
  message: 'text',
  reasoning: 'thinking',
  function_call: 'tool',
}

const NOTHING: never[] = []

/**
 * Upstream items in order of first appearance. Only the first unfinished item streams; content
 * of later items waits in `pending`, so blocks never interleave.
 */
class MessagesTranslator implements MessagesStreamTranslator {
  finished = false
  readonly #context: MessagesContext
  readonly #inputTokens: number
  readonly #items: Item[] = []
  readonly #byName = new Map<string, Item>()
  #cursor = 0
  #nextIndex = 0
  #started = false
  #toolUse = false
  #refusal = false
  #outputChars = 0
  #out: AnthropicStreamEvent[] = []

  constructor(context: MessagesContext, options: MessagesStreamOptions) {
    this.#context = context
    this.#inputTokens = Math.max(0, Math.floor(options.inputTokens ?? 0))
  }

  push(event: unknown): AnthropicStreamEvent[] {
    if (this.finished || !isObject(event) || typeof event.type !== 'string') return NOTHING
    const upstream = event as ResponsesEvent
    if (isFailureEvent(upstream)) {
      const upstreamError = upstreamErrorOf(upstream)
      this.finished = true
      return [{ event: 'error', data: upstreamFailure(upstreamError), upstreamError }]
    }
    this.#out = []
    this.#start(upstream)
    this.#translate(upstream)
    if (!this.finished) this.#advance()
    if (
      !this.finished &&
      (upstream.type === 'response.completed' || upstream.type === 'response.incomplete')
    ) {
      this.#terminal(responseOf(upstream), upstream.type === 'response.incomplete')
    }
    return this.#out
  }

  fail(error: unknown): AnthropicStreamEvent[] {
    if (this.finished) return NOTHING
    this.finished = true
    const { data, upstreamError } = thrownFailure(error)
    return [upstreamError === undefined ? { event: 'error', data } : { event: 'error', data, upstreamError }]
  }

  end(): AnthropicStreamEvent[] {
    if (this.finished) return NOTHING
    this.finished = true
    return [
      {
        event: 'error',
        data: {
          type: 'error',
          error: { type: 'api_error', message: 'Upstream stream ended before response.completed.' },
        },
      },
    ]
  }

  #start(event: ResponsesEvent): void {
    if (this.#started) return
    this.#started = true
    const response = responseOf(event)
    const message = {
      id: messageId(response?.id, this.#context),
      type: 'message' as const,
      role: 'assistant' as const,
      content: [],
      model: this.#context.model,
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: this.#inputTokens,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    }
    this.#out.push({ event: 'message_start', data: { type: 'message_start', message } })
  }

  #item(names: string[], kind: Kind): Item | null {
    for (const name of names) {
      const known = this.#byName.get(name)
      if (known !== undefined) return known.kind === kind ? known : null
    }
    if (kind === 'thinking' && !this.#context.thinking) return null
    const item: Item = {
      kind,
      pending: '',
      received: false,
      done: false,
      index: null,
      closed: false,
      scanner: kind === 'text' ? new StopScanner(this.#context.stopSequences) : null,
      signature: null,
      callId: null,
      name: null,
      summaryPart: null,
    }
    this.#items.push(item)
    for (const name of names) this.#byName.set(name, item)
    return item
  }

  #translate(event: ResponsesEvent): void {
    const names = namesOf(event.item_id, event.output_index)
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const item = this.#item(names, 'text')
        if (item !== null && event.type === 'response.refusal.delta') this.#refusal = true
        this.#feed(item, event.delta)
        return
      }
      case 'response.reasoning_summary_text.delta': {
        const item = this.#item(names, 'thinking')
        if (item === null || typeof event.delta !== 'string' || event.delta === '') return
        const part = typeof event.summary_index === 'number' ? event.summary_index : 0
        const separated = item.summaryPart !== null && item.summaryPart !== part && item.received
        item.summaryPart = part
        this.#feed(item, separated ? `\n\n${event.delta}` : event.delta)
        return
      }
      case 'response.function_call_arguments.delta':
        this.#feed(this.#item(names, 'tool'), event.delta)
        return
      case 'response.function_call_arguments.done': {
        const item = this.#item(names, 'tool')
        if (item !== null && !item.received) this.#feed(item, event.arguments)
        return
      }
      case 'response.output_item.added':
      case 'response.output_item.done':
        if (isObject(event.item))
          this.#observeItem(event.item, event.output_index, event.type.endsWith('.done'))
        return
      default:
        return
    }
  }

  /** Registers an item from `output_item.added` / `.done`; `.done` supplies content never streamed. */
  #observeItem(source: JsonObject, outputIndex: unknown, done: boolean): void {
    const kind = KINDS[String(source.type)]
    if (kind === undefined) return
    const item = this.#item(namesOf(source.id, outputIndex), kind)
    if (item === null) return
    if (kind === 'tool') {
      item.callId ??= typeof source.call_id === 'string' && source.call_id !== '' ? source.call_id : null
      item.name ??= typeof source.name === 'string' ? source.name : null
    }
    if (!done) return
    if (!item.received) {
      if (kind === 'text') {
        const { text, refusal } = messageTexts(source)
        if (refusal !== '') this.#refusal = true
        this.#feed(item, text + refusal)
      } else if (kind === 'thinking') {
        this.#feed(item, reasoningSummary(source))
      } else {
        this.#feed(item, source.arguments)
      }
    }
    if (
      kind === 'thinking' &&
      typeof source.encrypted_content === 'string' &&
      source.encrypted_content !== ''
    ) {
      item.signature = encodeSignature(this.#context.upstreamModel, source.encrypted_content)
    }
    item.done = true
  }

  #feed(item: Item | null, text: unknown): void {
    if (item === null || typeof text !== 'string' || text === '' || item.closed) return
    item.received = true
    if (this.#items[this.#cursor] === item && this.#ready(item)) this.#emit(item, text)
    else item.pending += text
  }

  /** A tool_use block starts only once its call id is known (or the item ended without one). */
  #ready(item: Item): boolean {
    return item.kind !== 'tool' || item.callId !== null || item.done
  }

  #delta(item: Item, delta: AnthropicDelta): void {
    this.#open(item)
    this.#out.push({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: item.index as number, delta },
    })
  }

  #emit(item: Item, text: string): void {
    if (text === '' || this.finished) return
    if (item.kind === 'thinking') {
      this.#outputChars += text.length
      this.#delta(item, { type: 'thinking_delta', thinking: text })
    } else if (item.kind === 'tool') {
      this.#outputChars += text.length
      this.#delta(item, { type: 'input_json_delta', partial_json: text })
    } else {
      const { text: sendable, match } = (item.scanner as StopScanner).push(text)
      this.#sendText(item, sendable)
      if (match !== null) {
        if (item.index !== null) this.#close(item)
        this.#finish('stop_sequence', match, null)
      }
    }
  }

  #sendText(item: Item, text: string): void {
    if (text === '') return
    this.#outputChars += text.length
    this.#delta(item, { type: 'text_delta', text })
  }

  #open(item: Item): void {
    if (item.index !== null) return
    item.index = this.#nextIndex++
    let block: Extract<AnthropicStreamEvent, { event: 'content_block_start' }>['data']['content_block']
    if (item.kind === 'text') block = { type: 'text', text: '' }
    else if (item.kind === 'thinking') block = { type: 'thinking', thinking: '', signature: '' }
    else {
      this.#toolUse = true
      const name = item.name ?? ''
      block = {
        type: 'tool_use',
        id: item.callId ?? `toolu_${(this.#context.newId ?? (() => randomHex(24)))()}`,
        name: this.#context.toolNameMap[name] ?? name,
        input: {},
      }
    }
    this.#out.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index: item.index, content_block: block },
    })
  }

  #close(item: Item): void {
    item.closed = true
    if (item.kind === 'text') this.#sendText(item, (item.scanner as StopScanner).flush())
    if (item.kind === 'thinking' && item.signature !== null)
      this.#delta(item, { type: 'signature_delta', signature: item.signature })
    if (item.kind === 'tool') this.#open(item)
    if (item.index === null) return
    this.#out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: item.index } })
  }

  /** Streams the current item's waiting content; closes finished items and moves on. */
  #advance(): void {
    while (!this.finished && this.#cursor < this.#items.length) {
      const item = this.#items[this.#cursor] as Item
      if (item.pending !== '' && this.#ready(item)) {
        const pending = item.pending
        item.pending = ''
        this.#emit(item, pending)
        if (this.finished) return
      }
      if (!item.done) return
      this.#close(item)
      this.#cursor += 1
    }
  }

  #terminal(response: ResponsesObject | null, incomplete: boolean): void {
    const output = Array.isArray(response?.output) ? response.output : []
    output.forEach((source, i) => {
      if (isObject(source)) this.#observeItem(source, i, true)
    })
    for (const item of this.#items) item.done = true
    this.#advance()
    if (this.finished) return
    const reason = stopReasonOf({ response, incomplete, toolUse: this.#toolUse, refusal: this.#refusal })
    this.#finish(reason, null, anthropicUsage(response?.usage))
  }

  #finish(reason: AnthropicStopReason, sequence: string | null, usage: AnthropicUsage | null): void {
    this.finished = true
    const final = usage ?? {
      input_tokens: this.#inputTokens,
      output_tokens: Math.ceil(this.#outputChars / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    }
    this.#out.push({
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: sequence }, usage: final },
    })
    this.#out.push({ event: 'message_stop', data: { type: 'message_stop' } })
  }
}

/**
 * A push-based translator of upstream Responses events into Anthropic Messages stream events,
 * synchronous and without I/O, like {@link chatStreamTranslator}.
 *
 * - One `message_start` first (id `msg_` + the upstream response id, the client's model,
 *   `usage.input_tokens` = `options.inputTokens`).
 * - Strictly sequential content blocks, in the order the upstream items appeared: reasoning
 *   summaries as `thinking` blocks (`thinking_delta`s, then a `signature_delta` carrying the
 *   encrypted reasoning, only when `context.thinking`), message text as `text` blocks, function
 *   calls as `tool_use` blocks (`id` = `call_id`, `input_json_delta`s). Content of an item that
 *   arrives while another block is open is sent when that block closed; an item seen only at
 *   `output_item.done` (or only in the final response) is sent whole.
 * - `context.stopSequences` are matched in the text: the text stops before the match, then
 *   `message_delta` (`stop_reason: "stop_sequence"`, `stop_sequence`) and `message_stop`, and
 *   the translator is `finished` (stop reading the upstream); that `message_delta` carries
 *   `options.inputTokens` and an output estimate (a quarter of the characters sent).
 * - On `response.completed` / `response.incomplete`: `message_delta` with the stop reason
 *   (`end_turn`, `tool_use`, `max_tokens`, `refusal`) and the cumulative usage (`input_tokens`
 *   uncached, `cache_read_input_tokens` cached), then `message_stop`.
 * - `response.failed`, an `error` event, an exception of the source ({@link
 *   MessagesStreamTranslator.fail}) or an early end ({@link MessagesStreamTranslator.end})
 *   give one `error` event, mapped like {@link toAnthropicError}.
 */
export function messagesStreamTranslator(
  context: MessagesContext,
  options: MessagesStreamOptions = {},
): MessagesStreamTranslator {
  return new MessagesTranslator(context, options)
}

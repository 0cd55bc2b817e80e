// The terminal and failure rules shared by the chat and text-completion stream translators
// (stream.ts): finish, fail, end, stop sequences and the usage estimate after a local stop.

import type { ResponsesEvent, ResponsesUsage, StreamItem, TranslationContext } from '../types'
import {
  envelopeFor,
  envelopeForThrown,
  incompleteEnvelope,
  incompleteFinish,
  isFailureEvent,
  responseOf,
  upstreamErrorOf,
} from './events'
import { StopScanner } from './stop'
import { StreamIdentity, TurnText } from './stream-state'
import { isObject } from './util'

/**
 * A push-based stream translator: feed it the upstream events one at a time and send the items it
 * returns. It does no I/O and never awaits, so a server can translate and write each event in the
 * same turn it arrived (see `chatChunks` in stream.ts for the async-iterable form of the same rules).
 */
export interface StreamTranslator<T> {
  /** The items for one upstream event (often none). Events after the stream finished give none. */
  push(event: ResponsesEvent): StreamItem<T>[]
  /** The `error` item for a failure thrown by the event source; the stream is then finished. */
  fail(error: unknown): StreamItem<T>[]
  /**
   * The items when the event source ended: the `incomplete_stream` error ("Upstream stream ended
   * before response.completed.") unless the stream already finished.
   */
  end(): StreamItem<T>[]
  /** True once a `done` or `error` item was returned: nothing more will be sent. */
  readonly finished: boolean
  /**
   * The stop sequence (`context.stop`) the output text ended at, else null. When set, the
   * translator already returned its final chunk and `done` while the upstream response is still
   * running: abort the upstream request.
   */
  readonly stopSequence: string | null
}

export const NOTHING: never[] = []

/** The finish reason of a `response.incomplete`. */
export type IncompleteReason = ReturnType<typeof incompleteFinish>

/** The terminal and failure rules shared by the chat and text-completion translators. */
export abstract class BaseTranslator<T> implements StreamTranslator<T> {
  finished = false
  stopSequence: string | null = null
  protected readonly identity: StreamIdentity
  protected readonly text: TurnText = new TurnText()
  readonly #scanner: StopScanner
  #sentChars = 0

  constructor(
    protected readonly context: TranslationContext,
    prefix: string,
  ) {
    this.identity = new StreamIdentity(context, prefix)
    this.#scanner = new StopScanner(context.stop ?? [])
  }

  push(event: ResponsesEvent): StreamItem<T>[] {
    if (this.finished || !isObject(event)) return NOTHING
    this.identity.observe(event)
    if (isFailureEvent(event)) {
      const upstreamError = upstreamErrorOf(event)
      this.finished = true
      return [{ kind: 'error', data: { error: envelopeFor(upstreamError) }, upstreamError }]
    }
    const out: StreamItem<T>[] = []
    this.translate(event, out)
    if (this.stopSequence !== null) {
      out.push(this.finalChunk(null, true))
      if (this.context.includeUsage) out.push({ kind: 'chunk', data: this.usageChunk(this.#estimate()) })
      out.push({ kind: 'done' })
      this.finished = true
    } else if (event.type === 'response.completed' || event.type === 'response.incomplete') {
      const response = responseOf(event)
      this.flushContent(out)
      out.push(
        this.finalChunk(event.type === 'response.incomplete' ? incompleteFinish(response) : null, false),
      )
      if (this.context.includeUsage) out.push({ kind: 'chunk', data: this.usageChunk(response?.usage) })
      out.push({ kind: 'done' })
      this.finished = true
    }
    return out
  }

  fail(error: unknown): StreamItem<T>[] {
    if (this.finished) return NOTHING
    this.finished = true
    const { error: envelope, upstreamError } = envelopeForThrown(error)
    return [
      upstreamError === undefined
        ? { kind: 'error', data: { error: envelope } }
        : { kind: 'error', data: { error: envelope }, upstreamError },
    ]
  }

  end(): StreamItem<T>[] {
    if (this.finished) return NOTHING
    this.finished = true
    return [{ kind: 'error', data: { error: incompleteEnvelope() } }]
  }

  /**
   * Sends answer text through the stop scanner: what cannot start a stop sequence goes out now,
   * a match ends the output (`stopSequence` is set; nothing after it is sent).
   */
  protected sendContent(piece: string, out: StreamItem<T>[]): void {
    const { text, match } = this.#scanner.push(piece)
    if (text !== '') {
      this.#sentChars += text.length
      out.push(this.contentChunk(text))
    }
    if (match !== null) this.stopSequence = match
  }

  /** Sends the text held back by the stop scanner (before another kind of chunk, and at the end). */
  protected flushContent(out: StreamItem<T>[]): void {
    const held = this.#scanner.flush()
    if (held === '') return
    this.#sentChars += held.length
    out.push(this.contentChunk(held))
  }

  /** Usage after a local stop match: the prompt estimate and a quarter of the characters sent. */
  #estimate(): ResponsesUsage {
    const input = Math.max(0, Math.floor(this.context.inputTokens ?? 0))
    const output = Math.ceil(this.#sentChars / 4)
    return { input_tokens: input, output_tokens: output, total_tokens: input + output }
  }

  /** The chunks of a non-terminal (or the text of a terminal) event. */
  protected abstract translate(event: ResponsesEvent, out: StreamItem<T>[]): void
  /** One chunk of answer text. */
  protected abstract contentChunk(text: string): StreamItem<T>
  /**
   * The one chunk with a finish reason; `incomplete` is the reason of `response.incomplete`,
   * `stopped` is true when the text ended at a stop sequence.
   */
  protected abstract finalChunk(incomplete: IncompleteReason | null, stopped: boolean): StreamItem<T>
  /** The usage chunk (`choices: []`) sent with `context.includeUsage`. */
  protected abstract usageChunk(usage: ResponsesUsage | null | undefined): T
}

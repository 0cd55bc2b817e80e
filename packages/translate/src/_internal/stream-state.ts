import type { ResponsesEvent, TranslationContext } from '../types'
import { messageTexts, reasoningSummary, responseOf } from './events'
import { isObject, randomHex } from './util'

/**
 * The client-facing id for an upstream response id: `chatcmpl-` / `cmpl-` + the upstream id
 * without its `resp_` prefix (so logs can still pair the two).
 */
export function clientId(prefix: string, responseId: string): string {
  return `${prefix}${responseId.replace(/^resp_/, '')}`
}

/** Identity of the chunks of one stream: defaults until `response.created` arrives. */
export class StreamIdentity {
  id: string
  created: number
  model: string
  #locked = false
  readonly #prefix: string

  constructor(context: TranslationContext, prefix: string) {
    this.#prefix = prefix
    this.id = `${prefix}${(context.newId ?? (() => randomHex(24)))()}`
    this.created = Math.floor((context.now ?? Date.now)() / 1000)
    this.model = context.model
  }

  /** Takes id, created_at and model from `response.created` / `in_progress`, before any chunk. */
  observe(event: ResponsesEvent): void {
    if (this.#locked || (event.type !== 'response.created' && event.type !== 'response.in_progress')) return
    const response = responseOf(event)
    if (response === null) return
    if (typeof response.id === 'string' && response.id !== '') this.id = clientId(this.#prefix, response.id)
    if (typeof response.created_at === 'number') this.created = response.created_at
    if (typeof response.model === 'string' && response.model !== '') this.model = response.model
    this.#locked = true
  }

  /** Freezes the identity (called when the first chunk is written). */
  lock(): void {
    this.#locked = true
  }
}

/** Names an item by its id and by its output index (events may carry either). */
function namesOf(itemId: unknown, outputIndex: unknown): string[] {
  const names: string[] = []
  if (typeof itemId === 'string' && itemId !== '') names.push(itemId)
  if (typeof outputIndex === 'number') names.push(`#${outputIndex}`)
  return names
}

/**
 * Turns text-bearing events into text pieces for one channel (answer text, refusal, reasoning
 * summary). Pieces from a different item (or summary part) than the previous piece are
 * preceded by a blank line. When an item ends without having streamed any delta, its full text
 * (from `output_item.done`) is emitted instead, so nothing is lost.
 */
export class TextChannel {
  #emitted = false
  #lastKey: string | null = null
  readonly #streamed = new Set<string>()

  /** A delta for `key` (item, or item + summary part), attributed to the item's `names`. */
  delta(key: string, names: string[], delta: unknown): string | null {
    if (typeof delta !== 'string' || delta === '') return null
    for (const name of names) this.#streamed.add(name)
    return this.#piece(key, delta)
  }

  /** The full text of an item that ended; returned only if none of it was streamed. */
  whole(names: string[], text: string): string | null {
    if (text === '' || names.some((name) => this.#streamed.has(name))) return null
    for (const name of names) this.#streamed.add(name)
    return this.#piece(`${names.join('|')}:whole`, text)
  }

  #piece(key: string, text: string): string {
    const separated = this.#emitted && this.#lastKey !== key ? `\n\n${text}` : text
    this.#emitted = true
    this.#lastKey = key
    return separated
  }
}

/** The three text channels of an assistant turn. */
export class TurnText {
  readonly content: TextChannel = new TextChannel()
  readonly refusal: TextChannel = new TextChannel()
  readonly reasoning: TextChannel = new TextChannel()

  /** The text pieces an event contributes, per channel. */
  read(event: ResponsesEvent): { content?: string; refusal?: string; reasoning?: string } {
    switch (event.type) {
      case 'response.output_text.delta': {
        const names = namesOf(event.item_id, event.output_index)
        const piece = this.content.delta(names.join('|'), names, event.delta)
        return piece === null ? {} : { content: piece }
      }
      case 'response.refusal.delta': {
        const names = namesOf(event.item_id, event.output_index)
        const piece = this.refusal.delta(names.join('|'), names, event.delta)
        return piece === null ? {} : { refusal: piece }
      }
      case 'response.reasoning_summary_text.delta': {
        const names = namesOf(event.item_id, event.output_index)
        const part = `${names.join('|')}:${String(event.summary_index ?? 0)}`
        const piece = this.reasoning.delta(part, names, event.delta)
        return piece === null ? {} : { reasoning: piece }
      }
      case 'response.output_item.done': {
        const item = event.item
        if (!isObject(item)) return {}
        const key = namesOf(item.id, event.output_index)
        const out: { content?: string; refusal?: string; reasoning?: string } = {}
        if (item.type === 'message') {
          const { text, refusal } = messageTexts(item)
          const content = this.content.whole(key, text)
          if (content !== null) out.content = content
          const refused = this.refusal.whole(key, refusal)
          if (refused !== null) out.refusal = refused
        } else if (item.type === 'reasoning') {
          const summary = this.reasoning.whole(key, reasoningSummary(item))
          if (summary !== null) out.reasoning = summary
        }
        return out
      }
      default:
        return {}
    }
  }
}

import type { RelayError } from '../errors/relay-error'
import { badFrame } from './frames'

/** The thread the connection holds: the last response's id, and its whole input and output. */
interface HeldThread {
  responseId: string
  items: unknown[]
  bytes: number
}

/** The items of a frame's `input` (a string is one user message); null when it is neither. */
export function inputItems(input: unknown): unknown[] | null {
  if (input === undefined || input === null) return []
  if (typeof input === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }]
  }
  return Array.isArray(input) ? input : null
}

function byteLength(items: unknown[]): number {
  return items.length === 0 ? 0 : Buffer.byteLength(JSON.stringify(items))
}

/**
 * What a Responses WebSocket connection holds for `previous_response_id`: the last response's
 * input and output, and the items `response.append` added for the next response, within
 * `maxBytes` together.
 */
export class SessionThread {
  readonly #maxBytes: number
  #held: HeldThread | null = null
  #pending: unknown[] = []

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  /** The error of a thread over the bound. */
  tooLarge(): RelayError {
    return badFrame(
      'thread_too_large',
      `The thread held for this connection would exceed ${this.#maxBytes} bytes; start a new response without previous_response_id.`,
      'input',
    )
  }

  /** `response.append`: holds the items for the next response, or returns the error (dropping them all). */
  append(items: unknown[]): RelayError | null {
    const held = (this.#held?.bytes ?? 0) + byteLength(this.#pending) + byteLength(items)
    if (held > this.#maxBytes) {
      this.#pending = []
      return this.tooLarge()
    }
    this.#pending.push(...items)
    return null
  }

  /**
   * The whole input of the next response: the held thread when `previous` names it, the appended
   * items, then the frame's own `input`. Throws `previous_response_not_found`, `invalid_type` or
   * `thread_too_large`, in that order.
   */
  inputFor(previous: unknown, frameInput: unknown): unknown[] {
    let prefix: unknown[] = []
    if (previous !== undefined && previous !== null) {
      if (typeof previous !== 'string' || this.#held?.responseId !== previous) {
        throw badFrame(
          'previous_response_not_found',
          `Previous response with id '${String(previous)}' not found.`,
          'previous_response_id',
        )
      }
      prefix = this.#held.items
    }
    const items = inputItems(frameInput)
    if (items === null)
      throw badFrame('invalid_type', '`input` must be an array of items or a string.', 'input')
    const input = [...prefix, ...this.#pending, ...items]
    this.#pending = []
    if (byteLength(input) > this.#maxBytes) {
      this.#held = null
      throw this.tooLarge()
    }
    return input
  }

  /** Hold `items` as the thread of `responseId` (dropped when over the bound). */
  hold(responseId: string, items: unknown[]): void {
    const bytes = byteLength(items)
    this.#held = bytes <= this.#maxBytes ? { responseId, items, bytes } : null
  }

  clear(): void {
    this.#held = null
    this.#pending = []
  }
}

// Stop sequences honoured locally on the output (the backend takes no `stop`).

import { invalid } from './util'

/** OpenAI's limit on the number of `stop` sequences. */
export const MAX_STOP_SEQUENCES = 4

/**
 * Reads chat / completions `stop`: a string or an array of up to four strings (null or absent
 * means none). Empty strings are ignored (they would match everywhere).
 */
export function readStop(value: unknown, param = 'stop'): string[] {
  if (value === undefined || value === null) return []
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
    return invalid(`\`${param}\` must be a string or an array of strings.`, param, 'invalid_type')
  }
  if (value.length > MAX_STOP_SEQUENCES) {
    return invalid(
      `\`${param}\` takes at most ${MAX_STOP_SEQUENCES} sequences; got ${value.length}.`,
      param,
      'invalid_value',
    )
  }
  return [...new Set(value.filter((s) => s !== ''))]
}

/** The first (leftmost) match of any sequence in `text`, or null. */
export function firstStop(text: string, sequences: readonly string[]): { at: number; match: string } | null {
  let best: { at: number; match: string } | null = null
  for (const sequence of sequences) {
    const at = text.indexOf(sequence)
    if (at >= 0 && (best === null || at < best.at)) best = { at, match: sequence }
  }
  return best
}

/**
 * Finds stop sequences in streamed text. `push` returns the text that can be sent now and the
 * matched sequence, if any. It holds back the tail that could still start a sequence — at most
 * the longest sequence minus one character — so a match split across deltas is still caught;
 * `flush` returns the held tail once the text ended (or before something else is sent).
 */
export class StopScanner {
  #held = ''

  constructor(readonly sequences: readonly string[]) {}

  push(text: string): { text: string; match: string | null } {
    const buffer = this.#held + text
    if (this.sequences.length === 0) return { text: buffer, match: null }
    const found = firstStop(buffer, this.sequences)
    if (found !== null) {
      this.#held = ''
      return { text: buffer.slice(0, found.at), match: found.match }
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

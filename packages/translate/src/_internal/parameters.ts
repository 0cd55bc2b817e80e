import type { JsonObject } from '../types'
import { invalid } from './util'

/**
 * The reference's compatibility-stripping keys, in the reference's fixed order. They come first
 * in every `ignoredParameters` list; everything else follows alphabetically.
 */
export const REFERENCE_STRIPPED: readonly string[] = [
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'max_output_tokens',
  'max_completion_tokens',
  'max_tokens',
]

/**
 * Parameters the backend rejects (upstream-protocol §8.3) or that have no upstream equivalent,
 * whose absence does not change the meaning of the answer enough to refuse the request. They are
 * removed and reported — present even with a null value.
 */
export const STRIPPED: ReadonlySet<string> = new Set([
  ...REFERENCE_STRIPPED,
  'logit_bias',
  'metadata',
  'prompt_cache_retention',
  'safety_identifier',
  'seed',
  'user',
])

/** Puts reported names in the documented order, without duplicates. */
export function orderIgnored(names: Iterable<string>): string[] {
  const set = new Set(names)
  const head = REFERENCE_STRIPPED.filter((name) => set.has(name))
  const tail = [...set].filter((name) => !REFERENCE_STRIPPED.includes(name)).sort()
  return [...head, ...tail]
}

/** True when `value` is absent or null. */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null
}

/**
 * Rejects parameters that would change the meaning of the answer if dropped. `offending` is
 * the list of names found; the message lists them all and `param` names the first.
 */
export function rejectUnsupported(
  route: 'chat.completions' | 'completions' | 'responses',
  offending: string[],
): void {
  if (offending.length === 0) return
  const names = [...offending].sort()
  invalid(
    `Unsupported ${route} parameters for the subscription backend: ${names.join(', ')}.`,
    names[0] ?? null,
    'unsupported_parameter',
  )
}

/** Reports every key of `body` that is in {@link STRIPPED} or not in `handled`. */
export function ignoredKeys(body: JsonObject, handled: ReadonlySet<string>): string[] {
  return Object.keys(body).filter((key) => STRIPPED.has(key) || !handled.has(key))
}

/** A positive number where only 0/null are harmless (`top_logprobs`, completions `logprobs`). */
export function isPositiveCount(value: unknown): boolean {
  if (isUnset(value) || value === 0 || value === false) return false
  return true
}

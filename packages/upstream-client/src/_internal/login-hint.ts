// The sentence an error adds when the user has to log in (again). By default it names the airelays
// command; a tool embedding this package sets `loginHint` so its own users read its own command.

/** Where in a message the hint is used; the default wording differs slightly per place. */
export type HintPlace = 'first' | 'again' | 'device_again' | 'device_code' | 'browser_again' | 'port_busy'

const DEFAULT_HINTS: Readonly<Record<HintPlace, string>> = {
  first: 'Run `airelays login` first.',
  again: 'Run `airelays login` again.',
  device_again: 'Request a fresh code with `airelays login --device`.',
  device_code: 'run `airelays login --device` to get a fresh code.',
  browser_again: 'Run `airelays login` again, or use `airelays login --device`.',
  port_busy: 'Retry later or use `airelays login --device`.',
}

/** Resolves the hint per place: the caller's `loginHint` everywhere, else the airelays wording. */
export type LoginHint = (place: HintPlace) => string

export function loginHintFor(custom: string | undefined): LoginHint {
  if (custom === undefined) return (place) => DEFAULT_HINTS[place]
  if (typeof custom !== 'string') throw new TypeError('loginHint must be a string')
  const text = custom.trim()
  return () => text
}

/** True when `hint` is the caller's own (not the airelays wording). */
export function isCustomHint(hint: LoginHint): boolean {
  return hint('device_code') !== DEFAULT_HINTS.device_code
}

/** `message` followed by the hint (the separator only when there is a hint). */
export function withHint(message: string, hint: string): string {
  return hint ? `${message} ${hint}` : message
}

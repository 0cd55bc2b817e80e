/** The only file id shape the store ever creates or accepts. */
export const FILE_ID_PATTERN: RegExp = /^file_[0-9a-f]{32}$/

export const DEFAULT_FILENAME = 'upload.bin'
export const DEFAULT_PURPOSE = 'assistants'
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'
export const MAX_LABEL_CODE_POINTS = 255

export function isFileId(value: unknown): value is string {
  return typeof value === 'string' && FILE_ID_PATTERN.test(value)
}

// C0 controls (incl. NUL, CR, LF, TAB), DEL, C1 controls, and the Unicode bidirectional formatting
// characters (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM) that can make a label
// display differently from what it is ("evil\u202Etxt.exe"). ZWJ (U+200D) stays: emoji need it.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * Turns a client-supplied label (filename, purpose) into a display-safe string: lone surrogates
 * become U+FFFD, control and bidi-override characters are removed, surrounding whitespace is trimmed,
 * and the result is capped at `max` code points. Empty or non-string input gives `fallback`.
 * The result is only ever a label: it is never used to build a filesystem path.
 */
export function sanitizeLabel(value: unknown, fallback: string, max: number = MAX_LABEL_CODE_POINTS): string {
  if (typeof value !== 'string') return fallback
  const cleaned = value.replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE_CHARS, '').trim()
  if (cleaned.length === 0) return fallback
  const codePoints = Array.from(cleaned)
  if (codePoints.length <= max) return cleaned
  const capped = codePoints.slice(0, max).join('').trim()
  return capped.length > 0 ? capped : fallback
}

/** A client-supplied value made safe to quote inside an error message (short, no controls). */
export function quoteForMessage(value: unknown, max: number = 100): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value) ?? typeof value)
  const cleaned = text.replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE_CHARS, '')
  const codePoints = Array.from(cleaned)
  return codePoints.length <= max ? cleaned : `${codePoints.slice(0, max).join('')}…`
}

const TOKEN = "[a-z0-9!#$%&'*+.^_`|~-]{1,127}"
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`)

/**
 * Normalises a declared media type to its lower-case `type/subtype` essence (parameters such as
 * `charset` are dropped). Returns null when the value is missing or not a valid `type/subtype`.
 */
export function normaliseMediaType(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const essence = value.split(';', 1)[0]!.trim().toLowerCase()
  return MEDIA_TYPE.test(essence) ? essence : null
}

// JSON text in pieces: `JSON.stringify`'s output without ever making it one large string. A
// string of 128 KiB or more is a "large object" for V8, placed in memory mapped afresh for each
// one (a page fault per 4 KiB on first touch), so a 1 MB prompt used to cost the relay several
// such copies per request: its session-id digest, the upstream body and the traffic log record
// (bench/findings.md, "A 1 MB request").
import { randomBytes } from 'node:crypto'

/** Longest piece a long string is escaped in, in UTF-16 units (well under V8's 128 KiB limit). */
export const JSON_PIECE_CHARS: number = 16 * 1024

/** Strings at least this long are escaped in pieces rather than inside `JSON.stringify`. */
const LONG_STRING = 4 * JSON_PIECE_CHARS

/** What `JSON.stringify` escapes in a string: quote, backslash, controls and (lone) surrogates. */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/

/** A `JSON.stringify` replacer. */
export type JsonReplacer = (this: unknown, key: string, value: unknown) => unknown

/** How long the pieces of the last long string are kept for a next call with the same string, in ms. */
const REMEMBER_MS = 1000

/**
 * The last long string escaped and its pieces: one request's prompt is escaped for its session-id
 * digest, for the upstream body and for its log record, three times the same work otherwise.
 */
let last: { text: string; pieces: readonly string[] } | null = null

/**
 * `JSON.stringify(text)` without its quotes, as pieces appended to `out`: each piece of `text` is
 * escaped on its own, which gives the same text because no piece ends inside a surrogate pair.
 * When `text` has nothing to escape, the pieces are slices of it (no copy). The pieces of the last
 * long string are kept for a second, for the next call with the same string.
 */
export function escapedJsonPieces(text: string, out: string[] = []): string[] {
  let pieces = last !== null && last.text === text ? last.pieces : null
  if (pieces === null) {
    pieces = escapeInPieces(text)
    if (text.length >= LONG_STRING) remember(text, pieces)
  }
  for (const piece of pieces) out.push(piece)
  return out
}

function remember(text: string, pieces: readonly string[]): void {
  const entry = { text, pieces }
  last = entry
  setTimeout(() => {
    if (last === entry) last = null
  }, REMEMBER_MS).unref()
}

function escapeInPieces(text: string): string[] {
  const out: string[] = []
  // One scan of the whole string (it stops at the first match): most long text either has
  // nothing to escape or something to escape in every piece.
  const escaping = ESCAPED.test(text)
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + JSON_PIECE_CHARS)
    const unit = text.charCodeAt(end - 1)
    if (end < text.length && unit >= 0xd800 && unit <= 0xdbff) end--
    const piece = text.slice(start, end)
    out.push(escaping ? JSON.stringify(piece).slice(1, -1) : piece)
    start = end
  }
  return out
}

/**
 * `JSON.stringify(value, replacer)` as pieces whose concatenation is that text (undefined when
 * JSON has no text for `value`). The serialisation is `JSON.stringify`'s own, with the same
 * replacer, so key order, `toJSON` and every rule of the replacer hold: only a string the
 * replacer returns that is 64 Ki UTF-16 units or longer is swapped for a short placeholder unique
 * to the call, and put back afterwards as {@link escapedJsonPieces}.
 */
export function jsonPieces(value: unknown, replacer?: JsonReplacer): string[] | undefined {
  if (replacer === undefined && !holdsLongString(value, 0)) {
    // The usual small body: JSON.stringify's fast path, without a replacer call per value.
    const json = JSON.stringify(value)
    return json === undefined ? undefined : [json]
  }
  const long: string[] = []
  let tag = ''
  const json = JSON.stringify(value, function (this: unknown, key: string, v: unknown): unknown {
    const out = replacer ? replacer.call(this, key, v) : v
    if (typeof out !== 'string' || out.length < LONG_STRING) return out
    if (tag === '') tag = `\u0000${randomBytes(8).toString('hex')}:`
    long.push(out)
    return `${tag}${long.length - 1}`
  })
  if (json === undefined) return undefined
  if (long.length === 0) return [json]
  // The placeholder as it appears in the JSON text (NUL is written `\u0000`), with its quote.
  const mark = `"${JSON.stringify(tag).slice(1, -1)}`
  const pieces: string[] = []
  let from = 0
  for (let i = 0; i < long.length; i++) {
    const needle = `${mark}${i}"`
    const at = json.indexOf(needle, from)
    // Cannot happen (each placeholder is written once, in order): the whole text instead.
    if (at === -1) return [JSON.stringify(value, replacer) as string]
    pieces.push(json.slice(from, at + 1))
    escapedJsonPieces(long[i] as string, pieces)
    from = at + needle.length - 1
  }
  pieces.push(json.slice(from))
  return pieces
}

/**
 * Whether `value` holds a string of {@link LONG_STRING} units or more, as far as a walk of its own
 * enumerable values can tell; `toJSON`, or nesting deeper than `JSON.stringify` goes in practice,
 * answers yes (the placeholder path then decides).
 */
function holdsLongString(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.length >= LONG_STRING
  if (value === null || typeof value !== 'object') return false
  if (depth > 100 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true
  if (Array.isArray(value)) {
    for (const item of value) if (holdsLongString(item, depth + 1)) return true
    return false
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && holdsLongString((value as Record<string, unknown>)[key], depth + 1))
      return true
  }
  return false
}

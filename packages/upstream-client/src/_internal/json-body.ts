// The upstream request body of a large prompt, made without one large string.
import { jsonPieces } from '@airelays/translate'

/** What a request sends: JSON text, or a large JSON body's UTF-8 bytes. */
export type RequestBody = string | Buffer

/**
 * `JSON.stringify(value)` as a request body: the text itself when `value` holds no long string
 * (the usual case), else its UTF-8 bytes, encoded piece by piece (see `jsonPieces` of
 * @airelays/translate) into one buffer of the exact size. `JSON.stringify` of a 1 MB prompt,
 * then undici's `Buffer.from` of it (which reserves three bytes per character), were two large
 * copies per request, each in memory mapped afresh (bench/findings.md, "A 1 MB request").
 */
export function jsonRequestBody(value: Record<string, unknown>): RequestBody {
  const pieces = jsonPieces(value) ?? ['null']
  if (pieces.length === 1) return pieces[0] as string
  let size = 0
  for (const piece of pieces) size += Buffer.byteLength(piece)
  const body = Buffer.allocUnsafe(size)
  let offset = 0
  for (const piece of pieces) offset += body.write(piece, offset)
  // Pieces never split a surrogate pair, so each is written whole; anything else is a bug.
  if (offset !== size) throw new Error(`jsonRequestBody: wrote ${offset} of ${size} bytes`)
  return body
}

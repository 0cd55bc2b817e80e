// The upstream request body of a large prompt, sent without making it one large string or buffer.
import { jsonPieces } from '@airelays/translate'

/** Pieces are gathered into buffers of about this many UTF-16 units (a two-byte string of it stays under 128 KiB). */
const GATHER_CHARS = 32 * 1024

/**
 * A JSON body as UTF-8 chunks: sent with a `content-length` of {@link byteLength} and its chunks
 * written in turn. `JSON.stringify` of a 1 MB prompt, then undici's `Buffer.from` of it, were two
 * large copies per request, each in memory V8 or malloc maps afresh (bench/findings.md, item 26).
 */
export class JsonBytes {
  constructor(
    readonly chunks: readonly Buffer[],
    readonly byteLength: number,
  ) {}
}

/** What a request sends: JSON text, or a large JSON body's chunks. */
export type RequestBody = string | JsonBytes

/**
 * `JSON.stringify(value)` as a request body: the text itself when `value` holds no long string
 * (the usual case), else its UTF-8 bytes in chunks (see `jsonPieces` of @airelays/translate).
 */
export function jsonRequestBody(value: Record<string, unknown>): RequestBody {
  const pieces = jsonPieces(value) ?? ['null']
  if (pieces.length === 1) return pieces[0] as string
  const chunks: Buffer[] = []
  let bytes = 0
  let pending = ''
  const flush = (): void => {
    if (pending.length === 0) return
    const chunk = Buffer.from(pending)
    chunks.push(chunk)
    bytes += chunk.length
    pending = ''
  }
  for (const piece of pieces) {
    if (pending.length + piece.length > GATHER_CHARS) flush()
    pending += piece
  }
  flush()
  return new JsonBytes(chunks, bytes)
}

/** The UTF-8 length of a body. */
export function bodyByteLength(body: RequestBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
}

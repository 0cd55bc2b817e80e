/**
 * A log line as a list of pieces whose concatenation is the line (see `jsonPieces` of
 * @airelays/translate): a large body's record is built, cut and written in pieces, never joined
 * into one large string (bench/findings.md, "A 1 MB request").
 */
export type JsonParts = string[]

/** Total length of `parts` in UTF-16 units. */
export function partsLength(parts: readonly string[]): number {
  let n = 0
  for (const part of parts) n += part.length
  return n
}

/** Total UTF-8 length of `parts`. */
export function partsBytes(parts: readonly string[]): number {
  let n = 0
  for (const part of parts) n += Buffer.byteLength(part)
  return n
}

/** The first `chars` UTF-16 units of `parts`, as pieces (slices of the parts). */
export function headOfParts(parts: readonly string[], chars: number): JsonParts {
  const out: JsonParts = []
  let left = chars
  for (const part of parts) {
    if (left <= 0) break
    out.push(part.length <= left ? part : part.slice(0, left))
    left -= part.length
  }
  return out
}

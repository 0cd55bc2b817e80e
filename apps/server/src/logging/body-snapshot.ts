import { createHash } from 'node:crypto'

/** A request or response body captured for the log; summarised lazily, at write time. */
export class BodySnapshot {
  constructor(
    readonly data: Uint8Array | string | null,
    readonly contentType: string | null,
    readonly parsed?: unknown,
  ) {}
}

/** A body snapshot whose bytes were not read (e.g. rejected before reading). */
export class BodySummary {
  constructor(readonly summary: Record<string, unknown>) {}
}

const TEXT_TYPES = /json|xml|javascript|x-www-form-urlencoded/i
const BINARY_NOTE = 'Binary payload omitted by default. This is explicit, not silent truncation.'

export function materializeBody(snapshot: BodySnapshot): Record<string, unknown> {
  const { contentType } = snapshot
  const data =
    snapshot.data === null && snapshot.parsed !== undefined ? JSON.stringify(snapshot.parsed) : snapshot.data
  const bytes = data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
  if (bytes === 0) return { kind: 'empty', bytes: 0 }
  const sha256 = createHash('sha256')
    .update(data as Uint8Array | string)
    .digest('hex')
  const textLike =
    !contentType || contentType.toLowerCase().startsWith('text/') || TEXT_TYPES.test(contentType)
  if (!textLike) return { kind: 'binary_summary', bytes, sha256, note: BINARY_NOTE }
  // Redaction of `json` happens in the record's serialisation (see #serialise).
  if (snapshot.parsed !== undefined) return { kind: 'json', bytes, sha256, json: snapshot.parsed }
  const raw = data as Uint8Array | string
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
  try {
    return { kind: 'json', bytes, sha256, json: JSON.parse(text) }
  } catch {
    return { kind: 'text', bytes, sha256, text }
  }
}

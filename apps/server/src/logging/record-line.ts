import { createHash, randomBytes } from 'node:crypto'
import { escapedJsonPieces, jsonPieces } from '@airelays/translate'
import { headOfParts, type JsonParts, partsBytes, partsLength } from './json-parts'
import { redact, redactingReplacer, redactText, type SecretSet } from './redact'

/** A request or response body captured for the log; summarised lazily, at write time. */
export class BodySnapshot {
  constructor(
    /** The body: text, bytes, or the chunks it was read in (never joined for the log). */
    readonly data: Uint8Array | readonly Uint8Array[] | string | null,
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

function materializeBody(snapshot: BodySnapshot, secrets: SecretSet): Record<string, unknown> {
  const { contentType } = snapshot
  const data =
    snapshot.data === null && snapshot.parsed !== undefined ? JSON.stringify(snapshot.parsed) : snapshot.data
  const chunks: readonly (Uint8Array | string)[] = data === null ? [] : Array.isArray(data) ? data : [data]
  let bytes = 0
  for (const chunk of chunks) bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
  if (bytes === 0) return { kind: 'empty', bytes: 0 }
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  const sha256 = hash.digest('hex')
  const textLike =
    !contentType || contentType.toLowerCase().startsWith('text/') || TEXT_TYPES.test(contentType)
  if (!textLike) return { kind: 'binary_summary', bytes, sha256, note: BINARY_NOTE }
  // Redaction of `json` happens in the record's serialisation (see #serialise).
  if (snapshot.parsed !== undefined) return { kind: 'json', bytes, sha256, json: snapshot.parsed }
  const text = typeof data === 'string' ? data : utf8(chunks as readonly Uint8Array[])
  try {
    return { kind: 'json', bytes, sha256, json: JSON.parse(text) }
  } catch {
    // Not JSON (malformed JSON, a form post, plain text): secret-named values are redacted from
    // the text itself, since the serialiser only sees one string (issue 26, item 7).
    return { kind: 'text', bytes, sha256, text: redactText(text, secrets) }
  }
}

/** `chunks` decoded as UTF-8 as `Buffer#toString` does (a BOM is kept). */
function utf8(chunks: readonly Uint8Array[]): string {
  const raw = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
}

/** One queued record (also what the traffic log's tap receives). */
export interface PendingRecord {
  at: number
  requestId: string
  phase: string
  fields: Record<string, unknown> | (() => Record<string, unknown>)
  /**
   * The record's serialised, redacted line, kept by {@link recordLine} so that the file writer and
   * the dashboard's feed serialise it once; valid only for the same secrets version and cut.
   */
  line?: CachedLine
}

/** A record's line as {@link recordLine} last made it. */
interface CachedLine {
  /** The line in pieces, as the file writer takes it. */
  readonly parts: JsonParts
  /** The pieces joined, made on first use (the dashboard's feed). */
  text: string | null
  /** {@link SecretSet.version} it was scrubbed with. */
  readonly version: number
  /** The `max` it was cut to. */
  readonly max: number
}

/**
 * The record's fields, built once: a `fields` function is called on first use and its result
 * kept in the record (its inputs do not change afterwards), so the feed and the writer share it.
 */
export function fieldsOf(record: PendingRecord): Record<string, unknown> {
  if (typeof record.fields !== 'function') return record.fields
  const fields = record.fields()
  record.fields = fields
  return fields
}

/** Default of {@link TrafficLogOptions.maxRecordBytes}. */
export const DEFAULT_MAX_RECORD_BYTES: number = 1024 * 1024
/** The fields every record keeps whole. */
const RECORD_HEAD = new Set(['logged_at', 'request_id', 'phase'])

function stringify(value: unknown, secrets: SecretSet): string {
  try {
    // One pass: redaction and scrubbing happen inside the serialisation, without a deep copy.
    return JSON.stringify(value, redactingReplacer(secrets)) ?? 'null'
  } catch {
    // e.g. nesting too deep for the replacer's recursion: the depth-limited copy never fails.
    return JSON.stringify(redact(value, secrets)) ?? 'null'
  }
}

/** One serialised top-level field of a record: `"key":` and the value's JSON, in pieces. */
interface Member {
  key: string
  /** `"key":` */
  name: string
  /** The value's JSON (see `jsonPieces` of @airelays/translate). */
  parts: JsonParts
  /** Length of the value's JSON, in UTF-16 units. */
  length: number
}

/**
 * Serialises a record one top-level field at a time, exactly as `JSON.stringify(body, replacer)`
 * would (the replacer is called with `body` as the holder of each field, so key-based redaction is
 * the same), so a record that must be cut is never serialised a second time (bench/findings.md,
 * item 15). Each field's JSON is kept in pieces, never as one large string (same file, "A 1 MB request").
 */
class MemberSerialiser {
  readonly #replacer: (this: unknown, key: string, value: unknown) => unknown
  #fallback: Record<string, unknown> | null = null

  constructor(
    readonly body: Record<string, unknown>,
    readonly secrets: SecretSet,
  ) {
    this.#replacer = redactingReplacer(secrets)
  }

  /** `"key":value` for `value` held by the record under `key`; null when JSON omits it. */
  member(key: string, value: unknown): Member | null {
    let parts: JsonParts | undefined
    try {
      let v = value
      if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        v = (v as { toJSON(key: string): unknown }).toJSON(key)
      }
      parts = jsonPieces(this.#replacer.call(this.body, key, v), this.#replacer)
    } catch {
      // e.g. nesting too deep for the replacer's recursion: the depth-limited copy never fails.
      this.#fallback ??= redact(this.body, this.secrets) as Record<string, unknown>
      const json = JSON.stringify(
        value === this.body[key] ? this.#fallback[key] : redact(value, this.secrets),
      )
      parts = json === undefined ? undefined : [json]
    }
    if (parts === undefined) return null
    return { key, name: `${JSON.stringify(key)}:`, parts, length: partsLength(parts) }
  }

  /**
   * The member `key` cut to `{truncated: true, bytes, preview}`, `preview` being `preview`'s
   * pieces joined: serialised as {@link member} does with a short stand-in for the preview, which
   * is then replaced by the preview's pieces, each scrubbed and escaped (the preview is never
   * joined into one string).
   */
  cut(key: string, bytes: number, preview: JsonParts): Member | null {
    const stand = `\u0000${randomBytes(8).toString('hex')}`
    const member = this.member(key, { truncated: true, bytes, preview: stand })
    if (member === null) return null
    const json = member.parts.join('')
    const quoted = JSON.stringify(stand)
    const at = json.indexOf(quoted)
    // The key was redacted whole (no stand-in left): nothing to put back.
    if (at === -1) return member
    const parts: JsonParts = [json.slice(0, at + 1)]
    for (const piece of preview)
      escapedJsonPieces(this.secrets.size > 0 ? this.secrets.scrub(piece) : piece, parts)
    parts.push(json.slice(at + quoted.length - 1))
    return { ...member, parts, length: partsLength(parts) }
  }
}

function memberBytes(member: Member | null): number {
  return member === null ? 0 : Buffer.byteLength(member.name) + partsBytes(member.parts)
}

/** The record's JSON text, in pieces: `{`, each member's `"key":` and value, `}`. */
function join(members: readonly (Member | null)[]): JsonParts {
  const out: JsonParts = []
  let head = '{'
  for (const member of members) {
    if (member === null) continue
    out.push(`${head}${member.name}`)
    for (const part of member.parts) out.push(part)
    head = ','
  }
  if (out.length === 0) return ['{}']
  out.push('}')
  return out
}

/**
 * Cuts a record that serialises to more than `max` bytes: its largest fields, one after the
 * other, become `{truncated: true, bytes, preview}` where `preview` is the start of the field's
 * (already redacted) JSON, so nothing unredacted is kept and the line fits. Works on the fields
 * already serialised; only the cut fields' markers are serialised again.
 */
function truncateRecord(members: (Member | null)[], serialiser: MemberSerialiser, max: number): JsonParts {
  const bytes = members.map(memberBytes)
  const commas = Math.max(0, members.filter((m) => m !== null).length - 1)
  let currentBytes = 2 + commas + bytes.reduce((a, b) => a + b, 0)
  if (currentBytes <= max) return join(members)
  const order = members
    .map((member, index) => ({ member, index }))
    .filter(
      (e): e is { member: Member; index: number } => e.member !== null && !RECORD_HEAD.has(e.member.key),
    )
    .sort((a, b) => b.member.length - a.member.length)
  for (const { member, index } of order) {
    const prefixBytes = Buffer.byteLength(member.name)
    const fieldBytes = bytes[index] ?? 0
    const valueBytes = fieldBytes - prefixBytes
    const others = currentBytes - fieldBytes
    let keep = Math.max(0, Math.floor((max - (others + prefixBytes) - 256) / 2))
    for (let attempt = 0; attempt < 8; attempt++) {
      const cut = serialiser.cut(member.key, valueBytes, headOfParts(member.parts, keep))
      members[index] = cut
      const cutBytes = memberBytes(cut)
      bytes[index] = cutBytes
      currentBytes = others + cutBytes
      if (currentBytes <= max || keep === 0) break
      keep = Math.floor(keep / 2)
    }
    if (currentBytes <= max) break
  }
  return join(members)
}

/** `\u2028` and `\u2029` escaped, as JSON.stringify leaves them raw (JSONL readers split on them). */
function escapeLineSeparators(parts: JsonParts): JsonParts {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    if (part.includes('\u2028') || part.includes('\u2029')) {
      parts[i] = part.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
    }
  }
  return parts
}

/**
 * One JSONL line, in pieces (see {@link JsonParts}): bodies materialised, secrets redacted and
 * scrubbed in the same pass, cut to `max` bytes.
 */
export function serialiseParts(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): JsonParts {
  const body: Record<string, unknown> = {
    logged_at: new Date(record.at).toISOString(),
    request_id: record.requestId,
    phase: record.phase,
  }
  const fields = fieldsOf(record)
  let large = false
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof BodySnapshot) {
      const materialized = materializeBody(value, secrets)
      body[key] = materialized
      if ((materialized.bytes as number) > max / 4) large = true
    } else if (value instanceof BodySummary) body[key] = value.summary
    else body[key] = value
  }
  let parts: JsonParts
  if (large) {
    // A body already known to be large: serialise field by field, once, so that cutting the
    // record reuses each field's JSON instead of serialising the record again.
    const serialiser = new MemberSerialiser(body, secrets)
    const members = Object.keys(body).map((key) => serialiser.member(key, body[key]))
    const length = members.reduce((n, m) => n + (m === null ? 0 : m.name.length + m.length + 1), 1)
    parts = length > max / 4 ? truncateRecord(members, serialiser, max) : join(members)
  } else {
    const line = stringify(body, secrets)
    parts = [line]
    // UTF-8 takes at most 4 bytes per UTF-16 unit: a line of at most max / 4 units fits.
    if (line.length > max / 4 && Buffer.byteLength(line) > max) {
      const serialiser = new MemberSerialiser(body, secrets)
      const members = Object.keys(body).map((key) => serialiser.member(key, body[key]))
      parts = truncateRecord(members, serialiser, max)
    }
  }
  return escapeLineSeparators(parts)
}

/** One JSONL line: {@link serialiseParts} joined. */
export function serialiseRecord(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): string {
  const parts = serialiseParts(record, secrets, max)
  return parts.length === 1 ? (parts[0] as string) : parts.join('')
}

/**
 * {@link serialiseParts}, once per record: the line is kept in the record and reused while the
 * secret set is unchanged ({@link SecretSet.version}) and `max` is the same, else made again, so
 * a secret learnt after the first serialisation is still scrubbed from every later copy.
 */
function cachedLine(record: PendingRecord, secrets: SecretSet, max: number): CachedLine {
  const cached = record.line
  if (cached !== undefined && cached.version === secrets.version && cached.max === max) return cached
  const version = secrets.version
  const line: CachedLine = { parts: serialiseParts(record, secrets, max), text: null, version, max }
  record.line = line
  return line
}

/** The record's line in pieces (the file writer's form), made once (see {@link cachedLine}). */
export function recordParts(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): JsonParts {
  return cachedLine(record, secrets, max).parts
}

/** The record's line as one string (the dashboard feed's form), made once (see {@link cachedLine}). */
export function recordLine(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): string {
  const line = cachedLine(record, secrets, max)
  line.text ??= line.parts.length === 1 ? (line.parts[0] as string) : line.parts.join('')
  return line.text
}

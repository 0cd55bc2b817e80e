import { createHash } from 'node:crypto'
import { redact, redactingReplacer, redactText, type SecretSet } from './redact'

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

function materializeBody(snapshot: BodySnapshot, secrets: SecretSet): Record<string, unknown> {
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
    // Not JSON (malformed JSON, a form post, plain text): secret-named values are redacted from
    // the text itself, since the serialiser only sees one string (issue 26, item 7).
    return { kind: 'text', bytes, sha256, text: redactText(text, secrets) }
  }
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
  readonly text: string
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

/** One serialised top-level field of a record: `"key":value`. */
interface Member {
  key: string
  text: string
  /** Length of the `"key":` prefix, in UTF-16 units. */
  prefix: number
}

/**
 * Serialises a record one top-level field at a time, exactly as `JSON.stringify(body, replacer)`
 * would (the replacer is called with `body` as the holder of each field, so key-based redaction is
 * the same), so a record that must be cut is never serialised a second time (bench/findings.md,
 * item 15).
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
    const name = JSON.stringify(key)
    let json: string | undefined
    try {
      let v = value
      if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        v = (v as { toJSON(key: string): unknown }).toJSON(key)
      }
      json = JSON.stringify(this.#replacer.call(this.body, key, v), this.#replacer)
    } catch {
      // e.g. nesting too deep for the replacer's recursion: the depth-limited copy never fails.
      this.#fallback ??= redact(this.body, this.secrets) as Record<string, unknown>
      json = JSON.stringify(value === this.body[key] ? this.#fallback[key] : redact(value, this.secrets))
    }
    return json === undefined ? null : { key, text: `${name}:${json}`, prefix: name.length + 1 }
  }
}

function join(members: readonly (Member | null)[]): string {
  let out = '{'
  for (const member of members) {
    if (member === null) continue
    out += out.length === 1 ? member.text : `,${member.text}`
  }
  return `${out}}`
}

/**
 * Cuts a record that serialises to more than `max` bytes: its largest fields, one after the
 * other, become `{truncated: true, bytes, preview}` where `preview` is the start of the field's
 * (already redacted) JSON, so nothing unredacted is kept and the line fits. Works on the fields
 * already serialised; only the cut fields' markers are serialised again.
 */
function truncateRecord(members: (Member | null)[], serialiser: MemberSerialiser, max: number): string {
  const bytes = members.map((m) => (m === null ? 0 : Buffer.byteLength(m.text)))
  const commas = Math.max(0, members.filter((m) => m !== null).length - 1)
  let currentBytes = 2 + commas + bytes.reduce((a, b) => a + b, 0)
  if (currentBytes <= max) return join(members)
  const order = members
    .map((member, index) => ({ member, index }))
    .filter(
      (e): e is { member: Member; index: number } => e.member !== null && !RECORD_HEAD.has(e.member.key),
    )
    .sort((a, b) => b.member.text.length - b.member.prefix - (a.member.text.length - a.member.prefix))
  for (const { member, index } of order) {
    const json = member.text.slice(member.prefix)
    const prefixBytes = Buffer.byteLength(member.text.slice(0, member.prefix))
    const memberBytes = bytes[index] ?? 0
    const valueBytes = memberBytes - prefixBytes
    const others = currentBytes - memberBytes
    let keep = Math.max(0, Math.floor((max - (others + prefixBytes) - 256) / 2))
    for (let attempt = 0; attempt < 8; attempt++) {
      const cut = serialiser.member(member.key, {
        truncated: true,
        bytes: valueBytes,
        preview: json.slice(0, keep),
      })
      members[index] = cut
      const cutBytes = cut === null ? 0 : Buffer.byteLength(cut.text)
      bytes[index] = cutBytes
      currentBytes = others + cutBytes
      if (currentBytes <= max || keep === 0) break
      keep = Math.floor(keep / 2)
    }
    if (currentBytes <= max) break
  }
  return join(members)
}

/** One JSONL line: bodies materialised, secrets redacted and scrubbed in the same pass, cut to `max` bytes. */
export function serialiseRecord(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): string {
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
  let line: string
  if (large) {
    // A body already known to be large: serialise field by field, once, so that cutting the
    // record reuses each field's JSON instead of serialising the record again.
    const serialiser = new MemberSerialiser(body, secrets)
    const members = Object.keys(body).map((key) => serialiser.member(key, body[key]))
    const length = members.reduce((n, m) => n + (m === null ? 0 : m.text.length + 1), 1)
    line = length > max / 4 ? truncateRecord(members, serialiser, max) : join(members)
  } else {
    line = stringify(body, secrets)
    // UTF-8 takes at most 4 bytes per UTF-16 unit: a line of at most max / 4 units fits.
    if (line.length > max / 4 && Buffer.byteLength(line) > max) {
      const serialiser = new MemberSerialiser(body, secrets)
      const members = Object.keys(body).map((key) => serialiser.member(key, body[key]))
      line = truncateRecord(members, serialiser, max)
    }
  }
  return line.includes('\u2028') || line.includes('\u2029')
    ? line.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')
    : line
}

/**
 * {@link serialiseRecord}, once per record: the line is kept in the record and reused while the
 * secret set is unchanged ({@link SecretSet.version}) and `max` is the same, else made again, so
 * a secret learnt after the first serialisation is still scrubbed from every later copy.
 */
export function recordLine(
  record: PendingRecord,
  secrets: SecretSet,
  max: number = DEFAULT_MAX_RECORD_BYTES,
): string {
  const cached = record.line
  if (cached !== undefined && cached.version === secrets.version && cached.max === max) return cached.text
  const version = secrets.version
  const text = serialiseRecord(record, secrets, max)
  record.line = { text, version, max }
  return text
}

/** Replacement written instead of a secret value. */
export const REDACTED = '[REDACTED]'

/** Keys whose values never reach the log (matched case-insensitively, at any depth). */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'code',
  'bearer_token',
  'relay_token',
  'file_data',
  'token',
  'password',
  'client_secret',
  'code_verifier',
])

const MAX_DEPTH = 64
/** No secret key is longer than this, so longer keys skip the lookup (and its lower-casing). */
const MAX_SECRET_KEY_LENGTH = Math.max(...[...SECRET_KEYS].map((key) => key.length))

/**
 * Which secrets a value is, so that one kind can never push another out: the relay token stays
 * remembered however often the upstream credentials are refreshed (issue 26, item 7).
 */
export type SecretGroup = 'relay' | 'upstream' | 'other'

/** How many values of each group are remembered (the newest; older ones are no longer live). */
const GROUP_LIMITS: Readonly<Record<SecretGroup, number>> = { relay: 8, upstream: 96, other: 32 }

/**
 * A set of literal secrets (the relay token, upstream tokens) that are scrubbed out of every
 * string in a log record, wherever they appear (prompts can quote them). Each group keeps its
 * newest values: the current and recent relay tokens, and the upstream tokens of the last
 * refreshes of every account.
 */
export class SecretSet {
  readonly #groups: Record<SecretGroup, string[]> = { relay: [], upstream: [], other: [] }
  #values: string[] = []

  /**
   * Remember a secret; values shorter than 8 characters are ignored (too likely to be noise).
   * @param group `relay` for relay tokens, `upstream` for ChatGPT tokens. @default 'upstream'
   */
  add(value: string | null | undefined, group: SecretGroup = 'upstream'): void {
    if (!value || value.length < 8) return
    const list = this.#groups[group]
    const at = list.indexOf(value)
    if (at !== -1) {
      // Known already: it only becomes its group's newest; what is scrubbed stays the same.
      if (at !== list.length - 1) list.push(...list.splice(at, 1))
      return
    }
    list.push(value)
    if (list.length > GROUP_LIMITS[group]) list.shift()
    // Longest first, so a secret containing another is replaced whole.
    this.#values = [
      ...new Set([...this.#groups.relay, ...this.#groups.upstream, ...this.#groups.other]),
    ].sort((a, b) => b.length - a.length)
  }

  /** `text` with every known secret replaced by {@link REDACTED}. */
  scrub(text: string): string {
    let out = text
    for (const secret of this.#values) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED)
    return out
  }

  get size(): number {
    return this.#values.length
  }
}

/**
 * A deep copy of `value` with secret keys replaced by {@link REDACTED} and every string scrubbed
 * of known secrets. `code` stays readable inside error objects (a value under an `error` key, or
 * an object with a string `message`), where it is an error code rather than an OAuth code.
 */
export function redact(value: unknown, secrets: SecretSet): unknown {
  return walk(value, secrets, { depth: 0, inError: false, names: false })
}

/**
 * Header and query parameter names that carry credentials beyond {@link SECRET_KEYS}: any name
 * with a `token`, `secret`, `password`, `api-key`, `auth`, `signature`/`sig`, `bearer` or
 * `credential` segment (`X-Auth-Token`, `x-goog-api-key`, `x-amz-security-token`, `?sig=`,
 * `?bearer=`). Applied to header and query names only: in bodies such words are ordinary fields.
 */
const SECRET_NAME_PATTERN =
  /(?:^|[-_.])(?:token|secret|password|passwd|pwd|api[-_]?key|apikey|key|auth|authorization|signature|sig|bearer|credentials?|cookie)(?:$|[-_.])/i

/** True when a header or query parameter named `name` carries a credential. */
export function isSecretName(name: string): boolean {
  if (name.length > 128) return false
  const lower = name.toLowerCase()
  return SECRET_KEYS.has(lower) || SECRET_NAME_PATTERN.test(lower)
}

/** A redacted copy of a parsed query string (adds the credential-like names of query strings). */
export function redactQuery(query: Record<string, string | string[]>, secrets: SecretSet): unknown {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(query)) {
    out[key] = isSecretName(key) ? REDACTED : value
  }
  return redact(out, secrets)
}

/** `"key": "value"` pairs in JSON text, the value possibly cut off at the end (malformed bodies). */
const JSON_PAIR = /"([A-Za-z0-9_.-]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)("|$)/g
/** `key=value` pairs of form and query-like text. */
const FORM_PAIR = /(^|[&;?\s])([A-Za-z0-9_.%-]{1,64})=([^&;\s]*)/g

function secretTextKey(key: string): boolean {
  let name = key
  if (name.includes('%')) {
    try {
      name = decodeURIComponent(name)
    } catch {
      // keep the raw name
    }
  }
  return isSecretName(name)
}

/**
 * Redacts a body that is not valid JSON (malformed JSON, form posts, plain text): the values of
 * secret keys in `"key": "value"` and `key=value` pairs become {@link REDACTED}, then known
 * secrets are scrubbed. A malformed JSON body is logged as text, so without this its `file_data`
 * or `api_key` would be kept verbatim.
 */
export function redactText(text: string, secrets: SecretSet): string {
  let out = text
  if (out.includes('"')) {
    // The match, then the groups: key, colon, value, end.
    out = out.replace(JSON_PAIR, (...match: string[]) => {
      const [whole, key = '', colon, , end] = match
      return SECRET_KEYS.has(key.toLowerCase()) ? `"${key}"${colon}"${REDACTED}${end}` : (whole as string)
    })
  }
  if (out.includes('=')) {
    out = out.replace(FORM_PAIR, (whole, lead: string, key: string) =>
      secretTextKey(key) ? `${lead}${key}=${REDACTED}` : whole,
    )
  }
  return secrets.size > 0 ? secrets.scrub(out) : out
}

/** Where {@link walk} is: nesting depth, inside an `error` object, inside `headers`/`query` (secret names). */
interface WalkAt {
  depth: number
  inError: boolean
  names: boolean
}

function walk(value: unknown, secrets: SecretSet, at: WalkAt): unknown {
  const { depth, inError: errorContext, names } = at
  if (typeof value === 'string') return secrets.size > 0 ? secrets.scrub(value) : value
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[TRUNCATED: nesting too deep]'
  if (Array.isArray(value))
    return value.map((item) => walk(item, secrets, { depth: depth + 1, inError: false, names: false }))
  const record = value as Record<string, unknown>
  const isErrorObject = errorContext || typeof record.message === 'string'
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(record)) {
    const lower = key.toLowerCase()
    if (
      (names && isSecretName(key)) ||
      (SECRET_KEYS.has(lower) && !(lower === 'code' && isErrorObject && typeof inner !== 'object'))
    ) {
      out[key] = inner === null || inner === undefined ? inner : REDACTED
      continue
    }
    out[key] = walk(inner, secrets, {
      depth: depth + 1,
      inError: lower === 'error',
      names: lower === 'headers' || lower === 'query',
    })
  }
  return out
}

/**
 * A `JSON.stringify` replacer that applies {@link redact}'s rules in the same pass as the
 * serialisation (no deep copy): secret keys become {@link REDACTED}, `code` stays readable in error
 * objects, and every string is scrubbed of known secrets.
 */
export function redactingReplacer(
  secrets: SecretSet,
): (this: unknown, key: string, value: unknown) => unknown {
  const errorObjects = new WeakSet<object>()
  const nameObjects = new WeakSet<object>()
  const scrub = secrets.size > 0
  return function replacer(this: unknown, key: string, value: unknown): unknown {
    if (key !== '' && nameObjects.has(this as object) && isSecretName(key)) {
      return value === null || value === undefined ? value : REDACTED
    }
    if ((key === 'headers' || key === 'query') && value !== null && typeof value === 'object') {
      nameObjects.add(value)
    }
    if (key !== '' && key.length <= MAX_SECRET_KEY_LENGTH) {
      const lower = key.toLowerCase()
      if (SECRET_KEYS.has(lower)) {
        const holder = this as Record<string, unknown>
        const inError = errorObjects.has(holder) || typeof holder.message === 'string'
        if (!(lower === 'code' && inError && (value === null || typeof value !== 'object'))) {
          return value === null || value === undefined ? value : REDACTED
        }
      } else if (lower === 'error' && value !== null && typeof value === 'object') {
        errorObjects.add(value)
      }
    }
    return scrub && typeof value === 'string' ? secrets.scrub(value) : value
  }
}

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
 * A set of literal secrets (the relay token, upstream tokens) that are scrubbed out of every
 * string in a log record, wherever they appear (prompts can quote them).
 */
export class SecretSet {
  readonly #values: string[] = []
  readonly #limit: number

  constructor(limit = 32) {
    this.#limit = limit
  }

  /** Remember a secret; values shorter than 8 characters are ignored (too likely to be noise). */
  add(value: string | null | undefined): void {
    if (!value || value.length < 8 || this.#values.includes(value)) return
    this.#values.push(value)
    if (this.#values.length > this.#limit) this.#values.shift()
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
  return walk(value, secrets, false, 0)
}

/** Query parameters that commonly carry credentials; redacted in logged query strings. */
const SECRET_QUERY_KEYS: ReadonlySet<string> = new Set(['key', 'api-key', 'apikey', 'auth'])

/** A redacted copy of a parsed query string (adds the credential-like names of query strings). */
export function redactQuery(query: Record<string, string | string[]>, secrets: SecretSet): unknown {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(query)) {
    out[key] = SECRET_QUERY_KEYS.has(key.toLowerCase()) ? REDACTED : value
  }
  return redact(out, secrets)
}

function walk(value: unknown, secrets: SecretSet, errorContext: boolean, depth: number): unknown {
  if (typeof value === 'string') return secrets.size > 0 ? secrets.scrub(value) : value
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[TRUNCATED: nesting too deep]'
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets, false, depth + 1))
  const record = value as Record<string, unknown>
  const isErrorObject = errorContext || typeof record.message === 'string'
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(record)) {
    const lower = key.toLowerCase()
    if (SECRET_KEYS.has(lower) && !(lower === 'code' && isErrorObject && typeof inner !== 'object')) {
      out[key] = inner === null || inner === undefined ? inner : REDACTED
      continue
    }
    out[key] = walk(inner, secrets, lower === 'error', depth + 1)
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
  const scrub = secrets.size > 0
  return function replacer(this: unknown, key: string, value: unknown): unknown {
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

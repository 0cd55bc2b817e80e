import { createHash, randomBytes } from 'node:crypto'
import { jsonPieces } from '../json-pieces'
import type { JsonObject, ValidationError, ValidationErrorCode } from '../types'

/** Thrown inside the translators and turned into a returned {@link ValidationError}. */
export class Invalid extends Error {
  readonly param: string | null
  readonly code: ValidationErrorCode

  constructor(message: string, param: string | null, code: ValidationErrorCode) {
    super(message)
    this.param = param
    this.code = code
  }
}

export function invalid(message: string, param: string | null, code: ValidationErrorCode): never {
  throw new Invalid(message, param, code)
}

export function toValidationError(error: Invalid): ValidationError {
  return {
    status: 400,
    type: 'invalid_request_error',
    message: error.message,
    param: error.param,
    code: error.code,
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function has(body: JsonObject, key: string): boolean {
  return Object.hasOwn(body, key)
}

/** JSON type name for messages ("string", "array", "null", …). */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * Random bytes drawn in blocks for {@link randomHex}: one `randomBytes` call per id cost about
 * 30 µs per stream (bench/findings.md), a block serves ~170 ids of 24 hex digits. The ids are
 * not secrets (response and item ids), and every byte is used once.
 */
const RANDOM_POOL_BYTES = 2048
const randomPool: { bytes: Buffer; offset: number } = { bytes: Buffer.alloc(0), offset: 0 }

/** `length` random hex digits (from {@link randomPool}). */
export function randomHex(length: number): string {
  const bytes = Math.ceil(length / 2)
  if (randomPool.offset + bytes > randomPool.bytes.length) {
    randomPool.bytes = randomBytes(Math.max(RANDOM_POOL_BYTES, bytes))
    randomPool.offset = 0
  }
  const start = randomPool.offset
  randomPool.offset += bytes
  return randomPool.bytes.toString('hex', start, start + bytes).slice(0, length)
}

/**
 * `sha256Hex(JSON.stringify(value))`, hashed as {@link jsonPieces}: a long string in `value` (a
 * 1 MB prompt) is never copied into one JSON text.
 */
export function jsonSha256Hex(value: unknown): string {
  const pieces = jsonPieces(value)
  if (pieces === undefined) throw new TypeError('jsonSha256Hex: the value has no JSON text')
  const hash = createHash('sha256')
  for (const piece of pieces) hash.update(piece)
  return hash.digest('hex')
}

/** The session id derived from stable request content (upstream-protocol §8.7). */
export function derivedSessionId(instructions: string, firstUserContent: unknown): string {
  const digest = jsonSha256Hex([instructions, firstUserContent ?? null])
  return `airelays-${digest.slice(0, 32)}`
}

/**
 * The session id derived from a client's `user` (or `safety_identifier`), for clients that send no
 * `prompt_cache_key`: a digest, so the end-user id itself never reaches the backend. Null when
 * neither is a non-empty string (both fields are dropped from the upstream body either way).
 */
export function userSessionId(body: JsonObject): string | null {
  const user = [body.user, body.safety_identifier].find((v) => typeof v === 'string' && v.trim() !== '')
  if (typeof user !== 'string') return null
  return `airelays-user-${sha256Hex(JSON.stringify(['user', user])).slice(0, 32)}`
}

/** Reads `conversation` (string or `{id}`) as a session id. */
export function conversationId(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string' && value.trim() !== '') return value
  if (isObject(value) && typeof value.id === 'string' && value.id.trim() !== '') return value.id
  return invalid(
    '`conversation` must be a non-empty string or an object with a non-empty string `id`.',
    'conversation',
    'invalid_type',
  )
}

/** Reads a client `prompt_cache_key`. */
export function promptCacheKey(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string' && value !== '') return value
  return invalid('`prompt_cache_key` must be a non-empty string.', 'prompt_cache_key', 'invalid_type')
}

/** Reads the `store` flag: only absent, null or false are accepted. */
export function checkStore(body: JsonObject): void {
  const store = body.store
  if (store === undefined || store === null || store === false) return
  invalid('The subscription backend requires `store=false`.', 'store', 'unsupported_value')
}

/** Reads the `n` parameter: only absent, null or 1 are accepted. */
export function checkN(body: JsonObject): void {
  const n = body.n
  if (n === undefined || n === null || n === 1) return
  invalid('Only `n=1` is supported.', 'n', 'unsupported_value')
}

/** Reads the `stream` flag. */
export function readStream(body: JsonObject): boolean {
  const stream = body.stream
  if (stream === undefined || stream === null) return false
  if (typeof stream === 'boolean') return stream
  return invalid('`stream` must be a boolean.', 'stream', 'invalid_type')
}

/** Reads `stream_options.include_usage`. */
export function readIncludeUsage(body: JsonObject): boolean {
  const options = body.stream_options
  if (options === undefined || options === null) return false
  if (!isObject(options)) {
    return invalid('`stream_options` must be an object.', 'stream_options', 'invalid_type')
  }
  const include = options.include_usage
  if (include === undefined || include === null) return false
  if (typeof include === 'boolean') return include
  return invalid(
    '`stream_options.include_usage` must be a boolean.',
    'stream_options.include_usage',
    'invalid_type',
  )
}

/** Reads `model`: a non-empty string. */
export function readModel(body: JsonObject): string {
  const model = body.model
  if (model === undefined || model === null) {
    return invalid('`model` is required.', 'model', 'missing_required_parameter')
  }
  if (typeof model !== 'string' || model.trim() === '') {
    return invalid('`model` must be a non-empty string.', 'model', 'invalid_type')
  }
  return model
}

/**
 * Reads `reasoning_effort` (and a `reasoning` object, where the route allows it) into the
 * upstream `reasoning` value. Null means absent. Values are trimmed and lower-cased; the set of
 * valid efforts is per model, so the upstream judges the value itself.
 */
export function readEffort(value: unknown, param: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.trim() === '') {
    return invalid(`\`${param}\` must be a non-empty string or null.`, param, 'invalid_type')
  }
  return value.trim().toLowerCase()
}

/** Top-level string `instructions` (string or null). */
export function readInstructions(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  return invalid('`instructions` must be a string.', 'instructions', 'invalid_type')
}

/**
 * `service_tier`: only Fast mode is forwarded, as `priority` (the backend refuses `"fast"` by
 * name, so that alias becomes `priority`); other values are dropped.
 */
export function forwardedServiceTier(value: unknown): string | null {
  return value === 'priority' || value === 'fast' ? 'priority' : null
}

/** Deep copy of JSON data (inputs are parsed JSON, so structuredClone is exact). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value)
}

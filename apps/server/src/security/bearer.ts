import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, value trimmed),
 * or `null` for any other scheme or a missing header. A token in the query string is never read.
 */
export function bearerFromHeader(header: string | null): string | null {
  if (!header) return null
  const trimmed = header.trim()
  const space = trimmed.indexOf(' ')
  if (space <= 0) return null
  if (trimmed.slice(0, space).toLowerCase() !== 'bearer') return null
  const token = trimmed.slice(space + 1).trim()
  return token.length > 0 ? token : null
}

/**
 * The relay token a request presents: `Authorization: Bearer <token>`, else `x-api-key` (what the
 * Anthropic SDK and Claude Code send with `ANTHROPIC_API_KEY`), else `null`.
 */
export function presentedToken(headers: Headers): string | null {
  const bearer = bearerFromHeader(headers.get('authorization'))
  if (bearer !== null) return bearer
  const apiKey = headers.get('x-api-key')?.trim()
  return apiKey ? apiKey : null
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/** The digest of the relay token, kept while the token is unchanged (it is hashed per request otherwise). */
let expectedDigest: { token: string; digest: Buffer } | null = null

function digestOfExpected(token: string, steps: TokenCompareSteps): Buffer {
  if (steps !== DEFAULT_STEPS) return steps.hash(token)
  if (expectedDigest?.token !== token) expectedDigest = { token, digest: digest(token) }
  return expectedDigest.digest
}

/**
 * The two steps of a token comparison, injectable so tests can count them (no spies): `hash`
 * turns a token into its fixed-length digest, `equal` compares two digests in constant time.
 */
export interface TokenCompareSteps {
  hash: (value: string) => Buffer
  equal: (a: Buffer, b: Buffer) => boolean
}

const DEFAULT_STEPS: TokenCompareSteps = { hash: digest, equal: timingSafeEqual }

/** Compared against when no relay token is set, so that case runs the same steps (and never matches). */
const NO_TOKEN_DIGEST: Buffer = Buffer.alloc(32)

/**
 * Constant-time token comparison: both sides are hashed first, so tokens of different lengths
 * compare in the same time and `timingSafeEqual` never throws. Every call — missing, wrong-length,
 * wrong or right token — hashes the presented value (`''` when missing) once and runs one
 * `timingSafeEqual` over two 32-byte digests; the verdict is taken only afterwards.
 * `steps` exists for tests.
 */
export function tokensMatch(
  presented: string | null,
  expected: string | null,
  steps: TokenCompareSteps = DEFAULT_STEPS,
): boolean {
  const presentedDigest = steps.hash(presented ?? '')
  const expectedDigest = expected === null ? NO_TOKEN_DIGEST : digestOfExpected(expected, steps)
  const equal = steps.equal(presentedDigest, expectedDigest)
  return equal && presented !== null && expected !== null
}

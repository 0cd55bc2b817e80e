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

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/** The digest of the relay token, kept while the token is unchanged (it is hashed per request otherwise). */
let expectedDigest: { token: string; digest: Buffer } | null = null

function digestOfExpected(token: string): Buffer {
  if (expectedDigest?.token !== token) expectedDigest = { token, digest: digest(token) }
  return expectedDigest.digest
}

/**
 * Constant-time token comparison: both sides are hashed first, so tokens of different lengths
 * compare in the same time and `timingSafeEqual` never throws. The presented token is hashed on
 * every call, so a missing, wrong or right token all cost one hash.
 */
export function tokensMatch(presented: string | null, expected: string | null): boolean {
  if (presented === null || expected === null) {
    digest(presented ?? '')
    return false
  }
  return timingSafeEqual(digest(presented), digestOfExpected(expected))
}

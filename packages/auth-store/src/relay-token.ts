import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { describeSystemError, errnoCode, tightenFileMode, writeFileAtomic } from './_internal/fs'
import { AuthStoreError } from './errors'

/** Environment variables holding the relay token, in order of precedence. */
const TOKEN_ENV_NAMES = ['AIRELAYS_BEARER_TOKEN', 'AIRELAY_BEARER_TOKEN'] as const

/** Where the relay token came from. */
export type RelayTokenSource = 'env' | 'file'

/** Result of {@link readRelayToken}. */
export interface RelayTokenInfo {
  /** The token, or null when none is configured. Never log it; log `fingerprint`. */
  token: string | null
  /** `env` (AIRELAYS_BEARER_TOKEN / AIRELAY_BEARER_TOKEN), `file`, or null when there is no token. */
  source: RelayTokenSource | null
  /** The token file consulted (also when the env won or the file is missing), or null. */
  file: string | null
  /** {@link tokenFingerprint} of the token, or null. */
  fingerprint: string | null
}

/** Options of {@link readRelayToken}. */
export interface ReadRelayTokenOptions {
  /**
   * Environment to consult, usually `process.env` (this package never reads it itself).
   * `AIRELAYS_BEARER_TOKEN`, then `AIRELAY_BEARER_TOKEN`; empty or blank values count as unset.
   * @default {} (no environment)
   */
  env?: Readonly<Record<string, string | undefined>>
  /**
   * The token file (`bearer_token_file`, default `<data>/relay-token`, resolved by
   * @airelays/config). A missing file means "no token".
   * @default undefined (no file)
   */
  file?: string | null
}

/** A new relay token: 32 CSPRNG bytes, base64url without padding (43 characters). */
export function generateRelayToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Public, log-safe identifier of a token: the first 12 hex characters of its sha256. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12)
}

/**
 * Resolves the relay token: the environment wins (`AIRELAYS_BEARER_TOKEN`, then
 * `AIRELAY_BEARER_TOKEN`; trimmed, empty = unset), otherwise the first non-empty trimmed line of
 * `file`, otherwise none. A missing file is not an error; an unreadable one throws
 * `token_read_failed`. A group/world-readable token file is narrowed to 0600 (best effort).
 */
export async function readRelayToken(options: ReadRelayTokenOptions = {}): Promise<RelayTokenInfo> {
  const file = options.file ?? null
  const env = options.env ?? {}
  for (const name of TOKEN_ENV_NAMES) {
    const value = env[name]?.trim()
    if (value) return { token: value, source: 'env', file, fingerprint: tokenFingerprint(value) }
  }
  if (file === null) return { token: null, source: null, file, fingerprint: null }
  let text: string
  try {
    await tightenFileMode(file)
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return { token: null, source: null, file, fingerprint: null }
    throw new AuthStoreError(
      'token_read_failed',
      `Could not read the relay token file ${file} (${describeSystemError(error)}).`,
      { path: file, cause: error },
    )
  }
  for (const line of text.split(/\r?\n/)) {
    const token = line.trim()
    if (token.length > 0) return { token, source: 'file', file, fingerprint: tokenFingerprint(token) }
  }
  return { token: null, source: null, file, fingerprint: null }
}

const PRINTABLE_TOKEN = /^[\x21-\x7e]+$/
const MAX_TOKEN_LENGTH = 4096

/**
 * Writes `token` plus a newline to `file`: mode 0600, via temp file + fsync + rename, missing
 * parent directories created 0700. The token must be 1–4096 printable ASCII characters without
 * spaces (`token_invalid`); messages never include it.
 */
export async function writeRelayToken(file: string, token: string): Promise<void> {
  if (typeof file !== 'string' || file.length === 0) {
    throw new AuthStoreError('invalid_options', 'writeRelayToken: "file" must be a non-empty path.')
  }
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !PRINTABLE_TOKEN.test(token)) {
    throw new AuthStoreError(
      'token_invalid',
      `Refusing to write the relay token to ${file}: a token must be 1-${MAX_TOKEN_LENGTH} printable ASCII characters without spaces.`,
      { path: file },
    )
  }
  try {
    await writeFileAtomic(file, `${token}\n`)
  } catch (error) {
    throw new AuthStoreError(
      'token_write_failed',
      `Could not write the relay token file ${file} (${describeSystemError(error)}).`,
      { path: file, cause: error },
    )
  }
}

/** Result of {@link rotateRelayToken}. */
export interface RotatedRelayToken {
  /** The new token (show it to the user once; never log it). */
  token: string
  /** Its fingerprint. */
  fingerprint: string
  /** The file written. */
  file: string
}

/**
 * Generates a new token and writes it to `file` (see {@link writeRelayToken}). An
 * `AIRELAYS_BEARER_TOKEN` in the environment still wins on the next read.
 */
export async function rotateRelayToken(file: string): Promise<RotatedRelayToken> {
  const token = generateRelayToken()
  await writeRelayToken(file, token)
  return { token, fingerprint: tokenFingerprint(token), file }
}

function characterPoolSize(token: string): number {
  if (/^[0-9]+$/.test(token)) return 10
  if (/^[0-9a-f]+$/.test(token) || /^[0-9A-F]+$/.test(token)) return 16
  if (/^[a-z]+$/.test(token) || /^[A-Z]+$/.test(token)) return 26
  if (/^[a-z0-9]+$/.test(token) || /^[A-Z0-9]+$/.test(token)) return 36
  if (/^[a-zA-Z]+$/.test(token)) return 52
  if (/^[a-zA-Z0-9]+$/.test(token)) return 62
  if (/^[a-zA-Z0-9_-]+$/.test(token)) return 64
  return 94
}

/**
 * Rough strength estimate in bits: length × log2(character pool), where the pool is the smallest
 * usual alphabet containing the token (digits, hex, letters, alphanumerics, base64url,
 * printable ASCII).
 */
function estimatedBits(token: string): number {
  return token.length * Math.log2(characterPoolSize(token))
}

/**
 * True when a relay token is probably under 128 bits of strength, for `serve`'s warning (tokens
 * set by hand): shorter than 22 characters (22 base64url characters = 132 bits), an estimated
 * length × log2(alphabet) under 128 bits, far fewer distinct characters than a random string of that
 * length and alphabet would have, or mostly runs/sequences (`aaaa`, `abcd`, `4321`).
 * Tokens from {@link generateRelayToken} are never weak.
 */
export function isWeakRelayToken(token: string): boolean {
  if (typeof token !== 'string' || token.length < 22) return true
  if (estimatedBits(token) < 128) return true
  const pool = characterPoolSize(token)
  const distinct = new Set(token).size
  // Expected distinct symbols in a uniformly random string of this length and alphabet.
  const expectedDistinct = pool * (1 - (1 - 1 / pool) ** token.length)
  if (distinct < expectedDistinct / 2) return true
  let steps = 0
  for (let i = 1; i < token.length; i++) {
    if (Math.abs(token.charCodeAt(i) - token.charCodeAt(i - 1)) <= 1) steps++
  }
  return steps > (token.length - 1) / 2
}

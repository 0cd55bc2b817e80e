/**
 * Stable error codes of @airelays/auth-store. Match on these, never on message text.
 *
 * - `keychain_unavailable`: the OS keychain (Secret Service, macOS Keychain, Windows Credential
 *   Manager) could not be loaded, reached, read or written.
 * - `auth_file_corrupt`: `auth.json` exists but is not valid JSON or not in the stored-auth shape.
 * - `auth_entry_corrupt`: a keychain entry exists but its value is not a valid stored-auth payload.
 * - `auth_read_failed`: `auth.json` exists but could not be read (permissions, not a file, …).
 * - `auth_write_failed`: credentials could not be written or deleted.
 * - `auth_invalid`: the value passed to `set()` is not a valid `StoredAuth`.
 * - `invalid_slot`: a slot name is not `"default"` or a safe account slug.
 * - `invalid_options`: a factory option has a wrong type or value.
 * - `lock_timeout`: the advisory lock `auth.json.lock` stayed held by another process too long.
 * - `token_invalid`: a relay token passed to `writeRelayToken` is empty or not printable ASCII.
 * - `token_read_failed` / `token_write_failed`: the relay token file could not be read / written.
 * - `account_unknown`: an account selector matches no signed-in account.
 * - `account_ambiguous`: an account selector is a prefix of several accounts' e-mails.
 */
export type AuthStoreErrorCode =
  | 'keychain_unavailable'
  | 'auth_file_corrupt'
  | 'auth_entry_corrupt'
  | 'auth_read_failed'
  | 'auth_write_failed'
  | 'auth_invalid'
  | 'invalid_slot'
  | 'invalid_options'
  | 'lock_timeout'
  | 'token_invalid'
  | 'token_read_failed'
  | 'token_write_failed'
  | 'account_unknown'
  | 'account_ambiguous'

// Brand checked by isAuthStoreError: works across duplicated copies of this package.
const BRAND = Symbol.for('@airelays/auth-store.AuthStoreError')

/** Extra, non-secret details attached to an {@link AuthStoreError}. */
export interface AuthStoreErrorDetails {
  /** The file involved (auth.json, lock file, relay-token file), when there is one. */
  path?: string
  /** The slot involved, when there is one. */
  slot?: string
  /** A short, secret-free reason from the underlying system (e.g. the keychain's own message). */
  reason?: string
  /** The underlying error (never one whose message could contain a secret). */
  cause?: unknown
}

/**
 * The one error class of @airelays/auth-store. Messages name files and slots but never contain
 * tokens or credential payloads.
 */
export class AuthStoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: AuthStoreErrorCode
  /** The file involved, if any. */
  readonly path: string | undefined
  /** The slot involved, if any. */
  readonly slot: string | undefined
  /** Short, secret-free reason from the underlying system, if any. */
  readonly reason: string | undefined

  constructor(code: AuthStoreErrorCode, message: string, details: AuthStoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'AuthStoreError'
    this.code = code
    this.path = details.path
    this.slot = details.slot
    this.reason = details.reason
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/**
 * True when `value` is an {@link AuthStoreError}, also across duplicated copies of this package
 * (checks a global symbol brand, not `instanceof`).
 */
export function isAuthStoreError(value: unknown): value is AuthStoreError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

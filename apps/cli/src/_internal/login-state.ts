import type { AuthStore, AuthStoreDescription, StoredAuth } from '@airelays/auth-store'
import { createAuthStore, DEFAULT_SLOT, isAuthStoreError } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import type { LoginStatus } from '@airelays/upstream-client'

/**
 * The login facts of stored credentials: `LoginStatus` of @airelays/upstream-client (the one
 * declaration of them) without the access-token expiry, which the CLI does not show.
 */
export type LoginFacts = Omit<LoginStatus, 'access_token_expires_at'>

/**
 * The `auth` object of `status --json`: the upstream login as stored, read without any network
 * call (a type-only import: `status` never loads the upstream client), plus where it is stored.
 */
export interface LoginState extends LoginFacts {
  /** `[providers.openai] enabled`. */
  enabled: boolean
  /** `auto`, `file` or `keyring`. */
  storage_mode: string
  /** Where the credentials live (or the next login goes): `file` or `keychain`; null when unknown. */
  storage_driver: string | null
  /** Human-readable location (a path or a keychain entry). */
  storage_location: string | null
  /** Why this store is used when it is not the obvious one (e.g. the keychain fallback). */
  storage_reason: string | null
  /** The `auth.json` path in the `file` and `auto` modes. */
  auth_store_path: string | null
  /** The keychain service in the `keyring` and `auto` modes. */
  keyring_service: string | null
  /** Why the credentials could not be read (a corrupt file, an unreachable keychain), else null. */
  error: string | null
}

/** Claims the CLI shows, from the id token's payload (decoded without verification). */
interface TokenClaims {
  email: string | null
  plan: string | null
  accountId: string | null
}

const AUTH_CLAIM = 'https://api.openai.com/auth'

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

/**
 * Reads the display claims of a JWT-shaped token. The CLI only shows them; the upstream client
 * does its own decoding for requests. Returns empty claims for anything that is not a JWT.
 */
export function tokenClaims(token: string | null | undefined): TokenClaims {
  const empty: TokenClaims = { email: null, plan: null, accountId: null }
  const part = typeof token === 'string' ? token.split('.')[1] : undefined
  if (!part) return empty
  try {
    const payload: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    if (typeof payload !== 'object' || payload === null) return empty
    const record = payload as Record<string, unknown>
    const auth = record[AUTH_CLAIM]
    const authRecord = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {}
    return {
      email: stringOrNull(record.email),
      plan: stringOrNull(authRecord.chatgpt_plan_type),
      accountId: stringOrNull(authRecord.chatgpt_account_id),
    }
  } catch {
    return empty
  }
}

/** The login facts of stored credentials. */
export function describeAuth(auth: StoredAuth | null): LoginFacts {
  const tokens = auth?.tokens
  const idClaims = tokenClaims(tokens?.id_token)
  const accessClaims = tokenClaims(tokens?.access_token)
  const authenticated = Boolean(tokens && (tokens.access_token || tokens.refresh_token))
  const accountId = stringOrNull(tokens?.account_id) ?? idClaims.accountId ?? accessClaims.accountId
  const bound = stringOrNull(auth?.bound_account_id)
  return {
    credentials_present: auth !== null,
    authenticated,
    account_bound: bound !== null,
    ready_for_requests: authenticated && accountId !== null && (bound === null || bound === accountId),
    email: idClaims.email ?? accessClaims.email,
    plan_type: idClaims.plan ?? accessClaims.plan,
    account_id: accountId,
    bound_account_id: bound,
    last_refresh: auth?.last_refresh ?? null,
  }
}

/** The credential store of the configured mode and data dir. */
export function authStoreFor(config: ResolvedConfig): AuthStore {
  return createAuthStore({ mode: config.auth.storage, dataDir: config.paths.data_dir })
}

function errorText(error: unknown): string {
  if (isAuthStoreError(error)) return error.message
  return error instanceof Error ? error.message : String(error)
}

/**
 * The stored login, read from the configured store without any network call (what `status`,
 * `serve` and `login` print). Store failures are reported in `error`, never thrown, unless they
 * are not store errors at all.
 */
export async function readLoginState(
  config: ResolvedConfig,
  store: AuthStore = authStoreFor(config),
): Promise<LoginState> {
  let description: AuthStoreDescription | null = null
  let auth: StoredAuth | null = null
  let error: string | null = null
  try {
    description = await store.describe(DEFAULT_SLOT)
  } catch (cause) {
    if (!isAuthStoreError(cause)) throw cause
    error = errorText(cause)
  }
  try {
    auth = await store.get(DEFAULT_SLOT)
  } catch (cause) {
    if (!isAuthStoreError(cause)) throw cause
    error = errorText(cause)
  }
  return {
    enabled: config.providers.openai.enabled,
    ...describeAuth(auth),
    storage_mode: config.auth.storage,
    storage_driver: description?.driver ?? null,
    storage_location: description?.location ?? null,
    storage_reason: description?.reason ?? null,
    auth_store_path: description?.path ?? (config.auth.storage === 'keyring' ? null : config.paths.auth_file),
    keyring_service: description?.keychain?.service ?? null,
    error,
  }
}

/** "file: /home/me/.airelays/auth.json (keychain unavailable: …; using 0600 file)". */
export function storageText(state: LoginState): string {
  const where = state.storage_driver
    ? `${state.storage_driver}: ${state.storage_location ?? 'unknown location'}`
    : 'unknown'
  return state.storage_reason ? `${where} (${state.storage_reason})` : where
}

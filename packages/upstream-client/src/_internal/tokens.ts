import type { Dispatcher } from 'undici'
import { UpstreamError, isRecord, isUpstreamError } from '../errors'
import type { RefreshEvent, RefreshReason } from '../hooks'
import { decodeJwtClaims } from '../jwt'
import type { Clock, CredentialStore, StoredAuth } from '../types'
import { EXPIRY_SKEW_MS, OAUTH_TIMEOUT_MS, REFRESH_INTERVAL_MS } from './constants'
import { raceSignal } from './http'
import { refreshTokens } from './oauth'

export const AUTH_MISSING_MESSAGE = 'No ChatGPT login found. Run `airelays login` first.'

/** Credentials checked and ready for a backend call. */
export interface ReadyAuth {
  auth: StoredAuth
  accessToken: string
  accountId: string
}

export interface TokenManagerOptions {
  store: CredentialStore
  dispatcher: Dispatcher
  issuerUrl: string
  clientId: string
  headers: Record<string, string>
  clock: Clock
  onRefresh: (event: RefreshEvent) => void
}

/** Validate the loaded value's shape; anything unusable counts as "no login". */
export function normalizeStoredAuth(value: unknown): StoredAuth | null {
  if (!isRecord(value) || !isRecord(value.tokens)) return null
  const t = value.tokens
  const str = (v: unknown): string => (typeof v === 'string' ? v : '')
  const auth: StoredAuth = {
    bound_account_id:
      typeof value.bound_account_id === 'string' && value.bound_account_id ? value.bound_account_id : null,
    tokens: {
      id_token: str(t.id_token),
      access_token: str(t.access_token),
      refresh_token: str(t.refresh_token),
      account_id: typeof t.account_id === 'string' && t.account_id ? t.account_id : null,
    },
    last_refresh: typeof value.last_refresh === 'string' && value.last_refresh ? value.last_refresh : null,
  }
  if (!auth.tokens.access_token && !auth.tokens.refresh_token) return null
  return auth
}

/** The account id the backend expects: `tokens.account_id`, else the id/access token claim. */
export function effectiveAccountId(auth: StoredAuth): string | null {
  return (
    auth.tokens.account_id ??
    decodeJwtClaims(auth.tokens.id_token)?.accountId ??
    decodeJwtClaims(auth.tokens.access_token)?.accountId ??
    null
  )
}

/** The last access token whose expiry was decoded (every upstream call asks for it). */
let lastExpiry: { token: string; exp: number | null | undefined } | null = null

/** `exp` of a JWT access token, decoded once per token. */
function expiryOf(token: string): number | null | undefined {
  if (lastExpiry?.token !== token) lastExpiry = { token, exp: decodeJwtClaims(token)?.exp }
  return lastExpiry.exp
}

/** Proactive refresh rule: no access token, access token expired, or last refresh unknown / older than 8 days. */
export function needsRefresh(auth: StoredAuth, nowMs: number): boolean {
  if (!auth.tokens.access_token) return true
  const exp = expiryOf(auth.tokens.access_token)
  if (exp !== null && exp !== undefined && exp * 1000 - EXPIRY_SKEW_MS <= nowMs) return true
  const last = auth.last_refresh ? Date.parse(auth.last_refresh) : Number.NaN
  if (Number.isNaN(last)) return true
  return nowMs - last > REFRESH_INTERVAL_MS
}

/**
 * Loads credentials, refreshes them proactively or after a 401 (one refresh at a time for all
 * callers), persists rotated tokens, and remembers permanent refresh failures per refresh token.
 */
export class TokenManager {
  private readonly options: TokenManagerOptions
  private loading: Promise<StoredAuth | null> | null = null
  private refreshing: Promise<StoredAuth> | null = null
  private permanentFailure: { refreshToken: string; error: UpstreamError } | null = null
  /** Refreshed tokens the store refused; used instead of the store's copy until a save succeeds. */
  private unsaved: { replaces: string; auth: StoredAuth } | null = null

  constructor(options: TokenManagerOptions) {
    this.options = options
  }

  /** Load from the store; concurrent callers share one read. */
  load(): Promise<StoredAuth | null> {
    this.loading ??= this.readStore().finally(() => {
      this.loading = null
    })
    return this.loading
  }

  private async readStore(): Promise<StoredAuth | null> {
    let auth: StoredAuth | null
    try {
      auth = normalizeStoredAuth(await this.options.store.load())
    } catch (error) {
      throw new UpstreamError({
        code: 'auth_missing',
        message: `Could not read the stored ChatGPT login: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      })
    }
    const unsaved = this.unsaved
    if (!unsaved) return auth
    if (auth && auth.tokens.refresh_token !== unsaved.replaces) {
      // The store moved on (a new login, or another process refreshed): drop our copy.
      this.unsaved = null
      return auth
    }
    try {
      await this.options.store.save(unsaved.auth)
      this.unsaved = null
    } catch {
      // Still failing: keep serving the refreshed tokens from memory.
    }
    return unsaved.auth
  }

  /** Credentials ready for a call: refreshed when due, validated (missing, incomplete, mismatch). */
  async ready(signal?: AbortSignal): Promise<ReadyAuth> {
    let auth = await this.load()
    if (!auth) throw new UpstreamError({ code: 'auth_missing', message: AUTH_MISSING_MESSAGE })
    if (needsRefresh(auth, this.options.clock()) && auth.tokens.refresh_token) {
      auth = await this.refresh('proactive', auth, signal)
    }
    return this.validate(auth)
  }

  /**
   * After an upstream 401 with `used`: take newer tokens from the store if another process
   * refreshed, else refresh now (shared with concurrent callers).
   */
  async recover(used: ReadyAuth, signal?: AbortSignal): Promise<ReadyAuth> {
    const current = await this.load()
    if (!current) throw new UpstreamError({ code: 'auth_missing', message: AUTH_MISSING_MESSAGE })
    if (current.tokens.access_token && current.tokens.access_token !== used.accessToken) {
      this.report({ reason: 'unauthorized', outcome: 'reloaded' })
      return this.validate(current)
    }
    return this.validate(await this.refresh('unauthorized', used.auth, signal))
  }

  private validate(auth: StoredAuth): ReadyAuth {
    if (!auth.tokens.access_token) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: 'Stored auth does not include an access token. Run `airelays login` again.',
      })
    }
    const accountId = effectiveAccountId(auth)
    if (!accountId) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: 'Stored auth does not include a ChatGPT account id. Run `airelays login` again.',
      })
    }
    if (auth.bound_account_id && auth.bound_account_id !== accountId) {
      throw new UpstreamError({
        code: 'auth_account_mismatch',
        message: 'Stored AIRelays auth is bound to a different upstream account than the active token.',
      })
    }
    return { auth, accessToken: auth.tokens.access_token, accountId }
  }

  private refresh(reason: RefreshReason, snapshot: StoredAuth, signal?: AbortSignal): Promise<StoredAuth> {
    this.refreshing ??= this.runRefresh(reason, snapshot).finally(() => {
      this.refreshing = null
    })
    const shared = this.refreshing
    // One caller giving up must not cancel the refresh the others wait for.
    return raceSignal(shared, signal)
  }

  private async runRefresh(reason: RefreshReason, snapshot: StoredAuth): Promise<StoredAuth> {
    const { options } = this
    const current = await this.readStore()
    if (!current) throw new UpstreamError({ code: 'auth_missing', message: AUTH_MISSING_MESSAGE })
    if (
      current.tokens.access_token &&
      current.tokens.access_token !== snapshot.tokens.access_token &&
      !needsRefresh(current, options.clock())
    ) {
      // Someone (another caller or process) already refreshed.
      this.report({ reason, outcome: 'reloaded' })
      return current
    }
    const refreshToken = current.tokens.refresh_token
    if (!refreshToken) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: 'Stored auth does not include a refresh token. Run `airelays login` again.',
      })
    }
    if (this.permanentFailure?.refreshToken === refreshToken) {
      this.report({ reason, outcome: 'failed', error: this.permanentFailure.error })
      throw this.permanentFailure.error
    }
    let tokens: Awaited<ReturnType<typeof refreshTokens>>
    try {
      tokens = await refreshTokens({
        dispatcher: options.dispatcher,
        issuerUrl: options.issuerUrl,
        clientId: options.clientId,
        refreshToken,
        headers: options.headers,
        timeoutMs: OAUTH_TIMEOUT_MS,
      })
    } catch (error) {
      const failure = isUpstreamError(error)
        ? error
        : new UpstreamError({
            code: 'refresh_failed',
            message: 'Token refresh failed.',
            kind: 'transient',
            cause: error,
          })
      if (failure.kind === 'auth') this.permanentFailure = { refreshToken, error: failure }
      this.report({ reason, outcome: 'failed', error: failure })
      throw failure
    }
    const idToken = tokens.id_token ?? current.tokens.id_token
    const merged: StoredAuth = {
      bound_account_id: current.bound_account_id,
      tokens: {
        id_token: idToken,
        access_token: tokens.access_token ?? current.tokens.access_token,
        refresh_token: tokens.refresh_token ?? current.tokens.refresh_token,
        account_id:
          (tokens.id_token ? decodeJwtClaims(tokens.id_token)?.accountId : null) ?? current.tokens.account_id,
      },
      last_refresh: new Date(options.clock()).toISOString(),
    }
    try {
      await options.store.save(merged)
      this.unsaved = null
      this.report({ reason, outcome: 'refreshed' })
    } catch (error) {
      // The issuer already rotated the refresh token: losing the new one would end the login.
      this.unsaved = { replaces: refreshToken, auth: merged }
      this.report({
        reason,
        outcome: 'refreshed',
        warning: `Refreshed tokens could not be saved (${error instanceof Error ? error.message : String(error)}); kept in memory and saved again on the next use.`,
      })
    }
    return merged
  }

  private report(event: RefreshEvent): void {
    try {
      this.options.onRefresh(event)
    } catch {
      // Hooks never break the request path.
    }
  }
}

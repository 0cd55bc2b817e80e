import type { Dispatcher } from 'undici'
import { isRecord, isUpstreamError, UpstreamError } from '../errors'
import type { RefreshEvent, RefreshReason } from '../hooks'
import { decodeJwtClaims } from '../jwt'
import type { Clock, CredentialStore, StoredAuth } from '../types'
import { EXPIRY_SKEW_MS, OAUTH_TIMEOUT_MS, REFRESH_INTERVAL_MS } from './constants'
import { raceSignal } from './http'
import { type LoginHint, withHint } from './login-hint'
import { refreshTokens } from './oauth'

/** What one refresh decision produced. */
interface RefreshOutcome {
  auth: StoredAuth
  /** The refresh token the new tokens replace; null when the store already had newer tokens. */
  rotated: string | null
}

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
  /** The sentence errors add when the user has to log in (again). */
  hint: LoginHint
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

/**
 * `exp` of a JWT access token, decoded once per token: remembers the last token it decoded (every
 * upstream call asks). One per `TokenManager`, so clients never share it.
 */
export class ExpiryCache {
  private last: { token: string; exp: number | null | undefined } | null = null

  expiryOf(token: string): number | null | undefined {
    if (this.last?.token !== token) this.last = { token, exp: decodeJwtClaims(token)?.exp }
    return this.last.exp
  }
}

const decodeExpiry = (token: string): number | null | undefined => decodeJwtClaims(token)?.exp

/**
 * Proactive refresh rule: no access token, access token expired, or last refresh unknown / older
 * than 8 days. `expiryOf` reads a token's `exp` (default: decode it each time).
 */
export function needsRefresh(
  auth: StoredAuth,
  nowMs: number,
  expiryOf: (token: string) => number | null | undefined = decodeExpiry,
): boolean {
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
  private readonly expiry: ExpiryCache = new ExpiryCache()
  /**
   * The store's last value, normalised: a caching store (the relay's) returns the same object
   * while the file is unchanged; a store returning fresh copies is normalised each time.
   */
  private lastLoaded: { raw: unknown; auth: StoredAuth | null } | null = null
  /** The last validated credentials (validation decodes JWTs when `account_id` is absent). */
  private lastReady: ReadyAuth | null = null
  private readonly expiryOf = (token: string): number | null | undefined => this.expiry.expiryOf(token)

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
      auth = this.normalized(await this.options.store.load())
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
    if (!auth) throw this.missing()
    if (needsRefresh(auth, this.options.clock(), this.expiryOf) && auth.tokens.refresh_token) {
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
    if (!current) throw this.missing()
    if (current.tokens.access_token && current.tokens.access_token !== used.accessToken) {
      this.report({ reason: 'unauthorized', outcome: 'reloaded' })
      return this.validate(current)
    }
    return this.validate(await this.refresh('unauthorized', used.auth, signal))
  }

  /** Refresh now, whatever the token's age (shared with a refresh already running). */
  async force(signal?: AbortSignal): Promise<ReadyAuth> {
    const current = await this.load()
    if (!current) throw this.missing()
    return this.validate(await this.refresh('forced', current, signal))
  }

  private normalized(raw: unknown): StoredAuth | null {
    const last = this.lastLoaded
    if (last !== null && raw !== null && raw === last.raw) return last.auth
    const auth = normalizeStoredAuth(raw)
    this.lastLoaded = { raw, auth }
    return auth
  }

  private validate(auth: StoredAuth): ReadyAuth {
    if (this.lastReady?.auth === auth) return this.lastReady
    const ready = this.validated(auth)
    this.lastReady = ready
    return ready
  }

  private validated(auth: StoredAuth): ReadyAuth {
    if (!auth.tokens.access_token) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: withHint('Stored auth does not include an access token.', this.options.hint('again')),
      })
    }
    const accountId = effectiveAccountId(auth)
    if (!accountId) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: withHint('Stored auth does not include a ChatGPT account id.', this.options.hint('again')),
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

  /**
   * Refresh under the store's cross-process lock when it has one (`update`), so the store is
   * re-read, the issuer called and the rotated tokens saved with no other process in between: a
   * relay and the CLI, or two relays, never spend the same refresh token twice.
   */
  private async runRefresh(reason: RefreshReason, snapshot: StoredAuth): Promise<StoredAuth> {
    const store = this.options.store
    if (typeof store.update !== 'function') {
      const outcome = await this.refreshFrom(reason, snapshot, await this.readStore())
      return outcome.rotated
        ? this.persist(reason, outcome.auth, outcome.rotated, () => store.save(outcome.auth))
        : outcome.auth
    }
    let outcome: RefreshOutcome | null = null
    try {
      await store.update(async (stored) => {
        outcome = await this.refreshFrom(reason, snapshot, this.adopt(normalizeStoredAuth(stored)))
        return outcome.rotated ? outcome.auth : undefined
      })
    } catch (error) {
      const done = outcome as RefreshOutcome | null
      if (done?.rotated) {
        // The issuer already rotated the refresh token; only the save failed.
        return this.persist(reason, done.auth, done.rotated, () => Promise.reject(error))
      }
      if (isUpstreamError(error)) throw error
      const failure = new UpstreamError({
        code: 'refresh_failed',
        message: `Could not lock the stored ChatGPT login for a token refresh: ${error instanceof Error ? error.message : String(error)}`,
        kind: 'transient',
        cause: error,
      })
      this.report({ reason, outcome: 'failed', error: failure })
      throw failure
    }
    const done = outcome as RefreshOutcome | null
    if (!done) throw this.missing()
    if (done.rotated) {
      this.unsaved = null
      this.report({ reason, outcome: 'refreshed' })
    }
    return done.auth
  }

  /** The store's value read inside the lock, with the same unsaved-tokens rule as `readStore`. */
  private adopt(auth: StoredAuth | null): StoredAuth | null {
    const unsaved = this.unsaved
    if (!unsaved) return auth
    if (auth && auth.tokens.refresh_token !== unsaved.replaces) {
      this.unsaved = null
      return auth
    }
    return unsaved.auth
  }

  /** Save refreshed tokens; on failure keep them in memory (losing them would end the login). */
  private async persist(
    reason: RefreshReason,
    merged: StoredAuth,
    replaces: string,
    save: () => Promise<void>,
  ): Promise<StoredAuth> {
    try {
      await save()
      this.unsaved = null
      this.report({ reason, outcome: 'refreshed' })
    } catch (error) {
      this.unsaved = { replaces, auth: merged }
      this.report({
        reason,
        outcome: 'refreshed',
        warning: `Refreshed tokens could not be saved (${error instanceof Error ? error.message : String(error)}); kept in memory and saved again on the next use.`,
      })
    }
    return merged
  }

  /**
   * Decide from `current`: another caller or process already refreshed (reload), else call the
   * issuer. `rotated` is the refresh token the new tokens replace (null when nothing new).
   */
  private async refreshFrom(
    reason: RefreshReason,
    snapshot: StoredAuth,
    current: StoredAuth | null,
  ): Promise<RefreshOutcome> {
    const { options } = this
    if (!current) throw this.missing()
    if (
      current.tokens.access_token &&
      current.tokens.access_token !== snapshot.tokens.access_token &&
      !needsRefresh(current, options.clock(), this.expiryOf)
    ) {
      // Someone (another caller or process) already refreshed.
      this.report({ reason, outcome: 'reloaded' })
      return { auth: current, rotated: null }
    }
    const refreshToken = current.tokens.refresh_token
    if (!refreshToken) {
      throw new UpstreamError({
        code: 'auth_incomplete',
        message: withHint('Stored auth does not include a refresh token.', this.options.hint('again')),
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
        hint: options.hint('again'),
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
    return { auth: merged, rotated: refreshToken }
  }

  private missing(): UpstreamError {
    return new UpstreamError({
      code: 'auth_missing',
      message: withHint('No ChatGPT login found.', this.options.hint('first')),
    })
  }

  private report(event: RefreshEvent): void {
    try {
      this.options.onRefresh(event)
    } catch {
      // Hooks never break the request path.
    }
  }
}

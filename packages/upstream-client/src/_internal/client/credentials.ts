// Credentials of the upstream client: where backend calls get ready tokens (refreshed on demand by
// the TokenManager), the login status read from the store, and revocation.
import type { Dispatcher } from 'undici'
import type { LoginStatus, RevokeResult } from '../../client-api'
import { UpstreamError } from '../../errors'
import type { UpstreamHooks } from '../../hooks'
import { decodeJwtClaims } from '../../jwt'
import type { Clock, CredentialStore, StoredAuth } from '../../types'
import { REVOKE_TIMEOUT_MS } from '../constants'
import { revokeTokens } from '../oauth'
import { type ReadyAuth, TokenManager, effectiveAccountId, normalizeStoredAuth } from '../tokens'
import { type ClientContext, type ClientSettings, callHook, identityHeaders } from './context'

/** What a backend call tells the credential source about itself. */
export interface CredentialRequest {
  /** The caller's abort signal: a waiting caller gives up without cancelling a shared refresh. */
  signal?: AbortSignal | undefined
}

/**
 * Where backend calls get credentials. Every call asks `ready()` once per attempt and `recover()`
 * once after a 401, so a source that picks an account per request fits behind the same interface.
 */
export interface CredentialSource {
  /** Credentials ready for a call: refreshed when due, validated. */
  ready(request: CredentialRequest): Promise<ReadyAuth>
  /** After an upstream 401 with `used`: newer credentials from the store, else a refresh. */
  recover(used: ReadyAuth, request: CredentialRequest): Promise<ReadyAuth>
}

/** Collaborators of the credential source (a subset of the client context). */
export interface CredentialSourceInit {
  store: CredentialStore
  dispatcher: Dispatcher
  settings: ClientSettings
  clock: Clock
  hooks: UpstreamHooks
}

/** The single-login source: one store, refreshed through the issuer. */
export function createCredentialSource(init: CredentialSourceInit): CredentialSource {
  const tokens = new TokenManager({
    store: init.store,
    dispatcher: init.dispatcher,
    issuerUrl: init.settings.issuerUrl,
    clientId: init.settings.clientId,
    headers: identityHeaders(init.settings.identity),
    clock: init.clock,
    onRefresh: (event) => callHook(init.hooks.onRefresh, event),
  })
  return {
    ready: (request) => tokens.ready(request.signal),
    recover: (used, request) => tokens.recover(used, request.signal),
  }
}

/** The tokens that must never appear in an error message of a call made with `ready`. */
export function secretsOf(ready: ReadyAuth | null): string[] {
  return ready
    ? [ready.auth.tokens.access_token, ready.auth.tokens.refresh_token, ready.auth.tokens.id_token]
    : []
}

function storeReadMessage(error: unknown): string {
  return `Could not read the stored ChatGPT login: ${error instanceof Error ? error.message : String(error)}`
}

/** Login readiness read from the store (no network). */
export async function loginStatus(store: CredentialStore): Promise<LoginStatus> {
  let raw: unknown
  try {
    raw = await store.load()
  } catch (error) {
    throw new UpstreamError({ code: 'auth_missing', message: storeReadMessage(error), cause: error })
  }
  const auth = normalizeStoredAuth(raw)
  const idClaims = decodeJwtClaims(auth?.tokens.id_token)
  const accessClaims = decodeJwtClaims(auth?.tokens.access_token)
  const accountId = auth ? effectiveAccountId(auth) : null
  const bound = auth?.bound_account_id ?? null
  const authenticated = auth !== null
  return {
    credentials_present: raw !== null && raw !== undefined,
    authenticated,
    account_bound: bound !== null,
    ready_for_requests: authenticated && accountId !== null && (bound === null || bound === accountId),
    email: idClaims?.email ?? accessClaims?.email ?? null,
    plan_type: idClaims?.planType ?? accessClaims?.planType ?? null,
    account_id: accountId,
    bound_account_id: bound,
    last_refresh: auth?.last_refresh ?? null,
    access_token_expires_at:
      accessClaims?.exp !== null && accessClaims?.exp !== undefined
        ? new Date(accessClaims.exp * 1000).toISOString()
        : null,
  }
}

/** Revoke `auth` (default: the stored login) at the issuer; never throws. */
export async function revokeLogin(ctx: ClientContext, auth?: StoredAuth | null): Promise<RevokeResult> {
  let target: StoredAuth | null
  try {
    target = auth === undefined ? normalizeStoredAuth(await ctx.store.load()) : auth
  } catch (error) {
    return { revoked: false, tokenTypeHint: null, status: null, error: storeReadMessage(error) }
  }
  return revokeTokens({
    dispatcher: ctx.dispatcher,
    issuerUrl: ctx.settings.issuerUrl,
    clientId: ctx.settings.clientId,
    auth: target,
    headers: identityHeaders(ctx.settings.identity),
    timeoutMs: REVOKE_TIMEOUT_MS,
  })
}

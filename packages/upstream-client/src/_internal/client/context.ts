// The one state object every part of the upstream client works on. `createUpstreamClient` builds it
// once; the responses call, the models cache, the usage call and the credential helpers take it as
// their first argument and read their settings and collaborators from it, nothing else.
import type { Dispatcher } from 'undici'
import { UpstreamError } from '../../errors'
import type { UpstreamHooks } from '../../hooks'
import type { Clock, CredentialStore, Sleep } from '../../types'
import type { RetryPolicy } from '../retry'
import type { CredentialSource } from './credentials'

/**
 * Who the client says it is. Every backend call (`/responses`, `/models`, usage) and every issuer
 * call takes its `version`, `originator` and `user-agent` from here, so they always agree.
 */
export interface ClientIdentity {
  readonly clientVersion: string
  readonly originator: string
  readonly userAgent: string
}

/** Resolved, validated settings (defaults applied). */
export interface ClientSettings {
  /** Codex backend base URL, no trailing slash. */
  readonly baseUrl: string
  /** OAuth issuer base URL, no trailing slash. */
  readonly issuerUrl: string
  readonly clientId: string
  readonly identity: ClientIdentity
  /** Connect and response-header timeout of backend calls. */
  readonly requestTimeoutMs: number
  /** Longest silence between two stream events (0 disables). */
  readonly streamIdleTimeoutMs: number
  /** Models cache lifetime (0 disables the cache). */
  readonly modelsTtlMs: number
  readonly retry: RetryPolicy
}

/** Settings, collaborators and lifecycle of one client. */
export interface ClientContext {
  readonly settings: ClientSettings
  readonly dispatcher: Dispatcher
  /** True when the dispatcher was created by the client (and `close()` closes it). */
  readonly ownsDispatcher: boolean
  /** The caller's store (status, revoke). */
  readonly store: CredentialStore
  /** Credentials for backend calls, refreshed on demand. */
  readonly credentials: CredentialSource
  readonly clock: Clock
  readonly sleep: Sleep
  readonly random: () => number
  readonly hooks: UpstreamHooks
  /** The only mutable field: set once by `close()`. */
  closed: boolean
}

/** Throw when the client was closed. */
export function ensureOpen(ctx: ClientContext): void {
  if (ctx.closed) {
    throw new UpstreamError({ code: 'upstream_unavailable', message: 'The upstream client is closed.' })
  }
}

/** Call an observability hook; hooks never break the request path. */
export function callHook<T>(fn: ((info: T) => void) | undefined, info: T): void {
  if (!fn) return
  try {
    fn(info)
  } catch {
    // Hooks never break the request path.
  }
}

/** `originator` and `user-agent`, sent on every call (issuer calls included). */
export function identityHeaders(identity: ClientIdentity): Record<string, string> {
  return { originator: identity.originator, 'user-agent': identity.userAgent }
}

import type { StoredAuth } from '@airelays/auth-store'

// The credentials shape is owned by @airelays/auth-store; re-exported for this package's users.
export type { StoredAuth }

/**
 * Where the client reads and writes credentials. `@airelays/auth-store`'s
 * `credentialStoreFor(store, slot)` returns one; `createMemoryCredentialStore()` is a minimal one.
 */
export interface CredentialStore {
  /** Current credentials, or `null` when nobody is logged in. */
  load(): Promise<StoredAuth | null>
  /** Persist credentials (after a login or a token refresh). */
  save(auth: StoredAuth): Promise<void>
  /** Remove the credentials (logout). */
  delete?(): Promise<void>
}

/**
 * One Responses API streaming event, typed by its JSON `type` (falling back to the SSE event name).
 * The remaining fields are the event's JSON payload as sent by the upstream.
 */
export interface ResponsesEvent {
  type: string
  [field: string]: unknown
}

/** A clock returning epoch milliseconds (like `Date.now`). */
export type Clock = () => number

/** Sleeps `ms` milliseconds; must reject promptly when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

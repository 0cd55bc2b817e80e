/**
 * Stored upstream credentials, in the exact shape of the Python implementation's `auth.json`.
 * This is the one declaration: @airelays/upstream-client and @airelays/upstream-emulator
 * re-export it.
 */
export interface StoredAuth {
  /** The upstream account id bound at login; requests refuse to run when the token's differs. */
  bound_account_id: string | null
  tokens: {
    id_token: string
    access_token: string
    refresh_token: string
    account_id: string | null
  }
  /** ISO-8601 UTC time of the last token refresh, e.g. `"2026-11-24T03:30:00.000Z"`. */
  last_refresh: string | null
}

/** Which backend holds (or would hold) a slot's credentials. */
export type AuthStoreDriver = 'memory' | 'file' | 'keychain'

/** The configured storage mode of a store (`--auth-storage`, plus `memory` for tests and embedding). */
export type AuthStoreMode = 'memory' | 'file' | 'keyring' | 'auto'

/** Where a slot's credentials live and why; what `airelays status` prints. */
export interface AuthStoreDescription {
  /** The configured mode. */
  mode: AuthStoreMode
  /** The backend that holds this slot's credentials, or that the next save goes to. */
  driver: AuthStoreDriver
  /** Why `driver` was chosen when it is not the obvious one (e.g. the keychain fallback). */
  reason?: string
  /** Human-readable location, e.g. `/home/me/.airelays/auth.json` or `Secret Service "AIRelays Auth" (cli|0123456789abcdef)`. */
  location: string
  /** The slot described. */
  slot: string
  /** The slot's `auth.json` path when files are used by this mode (`file`, `auto`), else null. */
  path: string | null
  /** The keychain entry when the keychain is used by this mode (`keyring`, `auto`), else null. */
  keychain: { service: string; account: string } | null
}

/**
 * Computes the next credentials inside {@link AuthStore.update}. Return the new value to save it,
 * `null` to delete the slot's credentials, or `undefined` to leave them unchanged.
 */
export type AuthUpdater = (
  current: StoredAuth | null,
) => StoredAuth | null | undefined | Promise<StoredAuth | null | undefined>

/**
 * Upstream credential storage with slots. A slot is a storage root: `"default"` is the data dir
 * itself (`<data>/auth.json`), any other slot is an account slug stored under
 * `<data>/accounts/<slug>`.
 */
export interface AuthStore {
  /** The configured mode. */
  readonly mode: AuthStoreMode
  /** The slot's credentials, or null when none are stored. Corrupt data throws, never reads as null. */
  get(slot: string): Promise<StoredAuth | null>
  /** Stores (replaces) the slot's credentials. Validates `auth` first (`auth_invalid`). */
  set(slot: string, auth: StoredAuth): Promise<void>
  /** Removes the slot's credentials. Resolves true when something was removed; idempotent. */
  delete(slot: string): Promise<boolean>
  /** Slots that currently hold credentials: `"default"` first, then account slugs in sorted order. */
  list(): Promise<string[]>
  /**
   * Read-modify-write under a cross-process advisory lock (`auth.json.lock` in the slot's directory;
   * in-process serialisation for the memory driver). Resolves with the value stored afterwards.
   */
  update(slot: string, updater: AuthUpdater): Promise<StoredAuth | null>
  /** Where the slot's credentials live and why (defaults to the `"default"` slot). */
  describe(slot?: string): Promise<AuthStoreDescription>
}

/** Lock tuning for {@link AuthStore.update}. */
export interface AuthLockOptions {
  /**
   * A lock file whose holder has not touched it for this long is considered abandoned and taken
   * over (a live holder refreshes it every third of this period). A lock held by a dead process on
   * this host is taken over at once. In milliseconds.
   * @default 30000
   */
  staleAfterMs?: number
  /**
   * How long `update()` waits for the lock before failing with `lock_timeout`. In milliseconds.
   * @default 60000
   */
  timeoutMs?: number
}

/** One keychain entry, as `@napi-rs/keyring`'s `AsyncEntry` provides it. */
export interface KeyringEntry {
  getPassword(signal?: AbortSignal): Promise<string | null>
  setPassword(password: string, signal?: AbortSignal): Promise<void>
  deletePassword(signal?: AbortSignal): Promise<boolean>
}

/** The part of the `@napi-rs/keyring` module this package uses (inject another backend through it). */
export interface KeyringModule {
  AsyncEntry: new (
    service: string,
    account: string,
    options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
  ) => KeyringEntry
}

import { AuthStoreError } from '../errors'
import { slotDirectory } from '../slots'
import type { KeyringEntry, KeyringModule, StoredAuth } from '../types'
import { parseStoredAuth } from './auth'
import { ensurePrivateDir } from './fs'
import { keychainAccountForResolvedRoot, resolveStorageRoot, slotCandidates } from './slots'

export const DEFAULT_KEYCHAIN_SERVICE = 'AIRelays Auth'
export const LEGACY_KEYCHAIN_SERVICE = 'AIRelay Auth'
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 15_000

// A name users recognise in messages.
export function keychainName(): string {
  switch (process.platform) {
    case 'linux':
      return 'Secret Service'
    case 'darwin':
      return 'macOS Keychain'
    case 'win32':
      return 'Windows Credential Manager'
    default:
      return 'OS keychain'
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error'
  const oneLine = message.replace(/\s+/g, ' ').trim()
  return oneLine.length > 300 ? `${oneLine.slice(0, 297)}...` : oneLine || 'unknown error'
}

async function defaultLoadKeyring(): Promise<KeyringModule> {
  return (await import('@napi-rs/keyring')) as unknown as KeyringModule
}

export interface KeychainBackendOptions {
  dataDir: string
  service: string
  legacyService: string | null
  loadKeyring: (() => Promise<KeyringModule>) | undefined
  timeoutMs: number
}

/**
 * Keychain entries keyed like the Python implementation: service "AIRelays Auth", account
 * `cli|<first 16 hex of sha256(resolved storage root)>`, value = the JSON payload. On Linux the
 * Secret Service is required (the kernel keyring is never used: it does not survive a reboot and
 * Python's `keyring` never wrote there).
 */
/** One keyring entry: the service and account it lives under, and the slot it serves (for errors). */
interface EntryRef {
  slot: string | undefined
  service: string
  account: string
}

export class KeychainBackend {
  readonly dataDir: string
  readonly service: string
  readonly legacyService: string | null
  readonly #timeoutMs: number
  readonly #load: () => Promise<KeyringModule>
  #module: Promise<KeyringModule> | null = null

  constructor(options: KeychainBackendOptions) {
    this.dataDir = options.dataDir
    this.service = options.service
    this.legacyService = options.legacyService
    this.#timeoutMs = options.timeoutMs
    this.#load = options.loadKeyring ?? defaultLoadKeyring
  }

  async accountFor(slot: string): Promise<string> {
    return keychainAccountForResolvedRoot(await resolveStorageRoot(slotDirectory(this.dataDir, slot)))
  }

  #unavailable(action: string, reason: string, slot: string | undefined, cause?: unknown): AuthStoreError {
    return new AuthStoreError(
      'keychain_unavailable',
      `The ${keychainName()} is not available (${action}: ${reason}). Use --auth-storage file or auto to keep credentials in a 0600 file instead.`,
      { slot, reason: `${action}: ${reason}`, cause },
    )
  }

  async #keyring(slot: string | undefined): Promise<KeyringModule> {
    if (this.#module === null) {
      this.#module = (async () => {
        const loaded = (await this.#load()) as unknown as Partial<KeyringModule> & {
          default?: Partial<KeyringModule>
        }
        const AsyncEntry = loaded?.AsyncEntry ?? loaded?.default?.AsyncEntry
        if (typeof AsyncEntry !== 'function') throw new Error('the keyring module has no AsyncEntry class')
        return { AsyncEntry }
      })()
    }
    try {
      return await this.#module
    } catch (error) {
      throw this.#unavailable('could not load @napi-rs/keyring', reasonOf(error), slot, error)
    }
  }

  async #call<T>(
    { slot, service, account }: EntryRef,
    action: string,
    op: (entry: KeyringEntry, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const keyring = await this.#keyring(slot)
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort()
        reject(new Error(`no answer within ${Math.round(this.#timeoutMs / 1000)} s (is the keyring locked?)`))
      }, this.#timeoutMs)
      timer.unref?.()
    })
    try {
      const entry = new keyring.AsyncEntry(service, account, { linux: { store: 'secret-service' } })
      return await Promise.race([op(entry, controller.signal), timedOut])
    } catch (error) {
      throw this.#unavailable(action, reasonOf(error), slot, error)
    } finally {
      clearTimeout(timer)
    }
  }

  #parse({ slot, service, account }: EntryRef & { slot: string }, value: string): StoredAuth {
    const parsed = parseStoredAuth(value)
    if (!parsed.ok) {
      throw new AuthStoreError(
        'auth_entry_corrupt',
        `The ${keychainName()} entry "${service}" (${account}) for slot "${slot}" is corrupt (${parsed.problem}). Run \`airelays logout\` and log in again.`,
        { slot },
      )
    }
    return parsed.auth
  }

  /** A harmless read of the slot's entry; throws `keychain_unavailable` when it fails. */
  async check(slot: string): Promise<void> {
    const account = await this.accountFor(slot)
    await this.#call({ slot, service: this.service, account }, 'read', (e, s) => e.getPassword(s))
  }

  /** Like {@link check}, but resolves the failure reason, or null when reachable. */
  async probe(slot: string): Promise<string | null> {
    try {
      await this.check(slot)
      return null
    } catch (error) {
      return error instanceof AuthStoreError ? (error.reason ?? error.message) : reasonOf(error)
    }
  }

  async read(slot: string): Promise<StoredAuth | null> {
    const account = await this.accountFor(slot)
    const value = await this.#call({ slot, service: this.service, account }, 'read', (e, s) =>
      e.getPassword(s),
    )
    if (value !== null) return this.#parse({ slot, service: this.service, account }, value)
    if (this.legacyService === null) return null
    const legacyService = this.legacyService
    const legacy = await this.#call({ slot, service: legacyService, account }, 'read legacy entry', (e, s) =>
      e.getPassword(s),
    )
    if (legacy === null) return null
    const auth = this.#parse({ slot, service: legacyService, account }, legacy)
    // Migrate: copy into the new service, then delete the legacy entry. A failed migration keeps
    // the legacy entry for the next read; the credentials are returned either way.
    try {
      await this.#call({ slot, service: this.service, account }, 'migrate legacy entry', (e, s) =>
        e.setPassword(legacy, s),
      )
      await this.#call({ slot, service: legacyService, account }, 'delete legacy entry', (e, s) =>
        e.deletePassword(s),
      )
    } catch {
      // Retried on the next read.
    }
    return auth
  }

  async write(slot: string, auth: StoredAuth): Promise<void> {
    const account = await this.accountFor(slot)
    await this.#call({ slot, service: this.service, account }, 'save', (e, s) =>
      e.setPassword(JSON.stringify(auth), s),
    )
    const dir = slotDirectory(this.dataDir, slot)
    if (dir !== this.dataDir) {
      // Account slots are discovered by their directory (as in the Python implementation).
      try {
        await ensurePrivateDir(dir)
      } catch (error) {
        throw new AuthStoreError(
          'auth_write_failed',
          `Saved the credentials of slot "${slot}" to the ${keychainName()}, but could not create its directory ${dir}.`,
          { slot, path: dir, cause: error },
        )
      }
    }
  }

  async remove(slot: string): Promise<boolean> {
    const account = await this.accountFor(slot)
    let removed = await this.#call({ slot, service: this.service, account }, 'delete', (e, s) =>
      e.deletePassword(s),
    )
    if (this.legacyService !== null) {
      const legacyService = this.legacyService
      removed =
        (await this.#call({ slot, service: legacyService, account }, 'delete legacy entry', (e, s) =>
          e.deletePassword(s),
        )) || removed
    }
    return removed
  }

  async exists(slot: string): Promise<boolean> {
    const account = await this.accountFor(slot)
    if (
      (await this.#call({ slot, service: this.service, account }, 'read', (e, s) => e.getPassword(s))) !==
      null
    )
      return true
    if (this.legacyService === null) return false
    const legacyService = this.legacyService
    return (
      (await this.#call({ slot, service: legacyService, account }, 'read legacy entry', (e, s) =>
        e.getPassword(s),
      )) !== null
    )
  }

  async list(): Promise<string[]> {
    const found: string[] = []
    for (const slot of await slotCandidates(this.dataDir)) {
      if (await this.exists(slot)) found.push(slot)
    }
    return found
  }
}

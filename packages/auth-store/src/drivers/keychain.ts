import { join } from 'node:path'
import {
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
  KeychainBackend,
  keychainName,
  LEGACY_KEYCHAIN_SERVICE,
} from '../_internal/keychain-backend'
import { resolveLockOptions, withLockFile } from '../_internal/lock'
import { applyUpdate, validateInput } from '../_internal/update'
import { AuthStoreError } from '../errors'
import { assertDataDir, assertSlot, DEFAULT_SLOT, slotDirectory } from '../slots'
import type {
  AuthLockOptions,
  AuthStore,
  AuthStoreDescription,
  AuthStoreMode,
  AuthUpdater,
  KeyringModule,
  StoredAuth,
} from '../types'

/** Options of {@link createKeychainAuthStore}. */
export interface KeychainAuthStoreOptions {
  /**
   * Absolute data directory. Keychain accounts are derived from the resolved slot root
   * (`cli|` + first 16 hex of its sha256), exactly like the Python implementation.
   */
  dataDir: string
  /**
   * Keychain service name.
   * @default "AIRelays Auth"
   */
  service?: string
  /**
   * Legacy service read when the entry is missing from `service`; a hit is copied to `service` and
   * then deleted from here. `null` disables the migration.
   * @default "AIRelay Auth"
   */
  legacyService?: string | null
  /**
   * Loads the keyring module. Called lazily, once, on first use, so the package works where the
   * native module cannot load. Inject another backend (or a failing one in tests) here.
   * @default () => import('@napi-rs/keyring')
   */
  loadKeyring?: () => Promise<KeyringModule>
  /**
   * Longest wait for one keychain call (a locked keyring may wait for a prompt), in milliseconds.
   * @default 15000
   */
  timeoutMs?: number
  /** Tuning of the advisory lock used by `update()`. */
  lock?: AuthLockOptions
}

export function createKeychainBackend(options: KeychainAuthStoreOptions, factory: string): KeychainBackend {
  const dataDir = assertDataDir(options?.dataDir, factory)
  const service = options.service ?? DEFAULT_KEYCHAIN_SERVICE
  const legacyService = options.legacyService === undefined ? LEGACY_KEYCHAIN_SERVICE : options.legacyService
  const timeoutMs = options.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS
  if (typeof service !== 'string' || service.length === 0) {
    throw new AuthStoreError('invalid_options', `${factory}: "service" must be a non-empty string.`)
  }
  if (legacyService !== null && (typeof legacyService !== 'string' || legacyService.length === 0)) {
    throw new AuthStoreError(
      'invalid_options',
      `${factory}: "legacyService" must be a non-empty string or null.`,
    )
  }
  if (legacyService === service) {
    throw new AuthStoreError('invalid_options', `${factory}: "legacyService" must differ from "service".`)
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new AuthStoreError(
      'invalid_options',
      `${factory}: "timeoutMs" must be a positive number of milliseconds.`,
    )
  }
  if (options.loadKeyring !== undefined && typeof options.loadKeyring !== 'function') {
    throw new AuthStoreError('invalid_options', `${factory}: "loadKeyring" must be a function.`)
  }
  return new KeychainBackend({ dataDir, service, legacyService, loadKeyring: options.loadKeyring, timeoutMs })
}

export function keychainLocation(service: string, account: string): string {
  return `${keychainName()} "${service}" (${account})`
}

/**
 * Credentials in the OS keychain only (the `keyring` mode): Secret Service on Linux, Keychain on
 * macOS, Credential Manager on Windows, through `@napi-rs/keyring` loaded lazily. Entries are
 * readable and writable by the Python implementation (same service, account and attributes).
 * Every failure to load or reach the keychain throws `keychain_unavailable`; this store never
 * writes credentials to a file. (`update()` uses the credential-free lock file `auth.json.lock`,
 * and saving an account slot creates its `<data>/accounts/<slug>` directory, by which slots are
 * discovered.)
 */
export function createKeychainAuthStore(options: KeychainAuthStoreOptions): AuthStore {
  const keychain = createKeychainBackend(options, 'createKeychainAuthStore')
  const lock = resolveLockOptions(options.lock, 'createKeychainAuthStore')
  const get = async (slot: string): Promise<StoredAuth | null> => keychain.read(assertSlot(slot))
  const set = async (slot: string, auth: StoredAuth): Promise<void> => {
    assertSlot(slot)
    await keychain.write(slot, validateInput(auth, slot))
  }
  const remove = async (slot: string): Promise<boolean> => keychain.remove(assertSlot(slot))
  return {
    mode: 'keyring' as AuthStoreMode,
    get,
    set,
    delete: remove,
    list: async (): Promise<string[]> => keychain.list(),
    async update(slot: string, updater: AuthUpdater): Promise<StoredAuth | null> {
      assertSlot(slot)
      // Fail before creating the lock when the keychain is not reachable.
      await keychain.check(slot)
      const lockPath = join(slotDirectory(keychain.dataDir, slot), 'auth.json.lock')
      return withLockFile(lockPath, lock, () =>
        applyUpdate(slot, updater, {
          get: () => keychain.read(slot),
          set: (auth) => keychain.write(slot, auth),
          delete: () => keychain.remove(slot),
        }),
      )
    },
    async describe(slot: string = DEFAULT_SLOT): Promise<AuthStoreDescription> {
      assertSlot(slot)
      const account = await keychain.accountFor(slot)
      const problem = await keychain.probe(slot)
      return {
        mode: 'keyring',
        driver: 'keychain',
        ...(problem === null ? {} : { reason: `keychain unavailable: ${problem}` }),
        location: keychainLocation(keychain.service, account),
        slot,
        path: null,
        keychain: { service: keychain.service, account },
      }
    },
  }
}

import { FileBackend } from '../_internal/file-backend'
import { resolveLockOptions, withLockFile } from '../_internal/lock'
import { applyUpdate, validateInput } from '../_internal/update'
import { AuthStoreError, isAuthStoreError } from '../errors'
import { assertSlot, DEFAULT_SLOT } from '../slots'
import type { AuthStore, AuthStoreDescription, AuthStoreMode, AuthUpdater, StoredAuth } from '../types'
import { createFileAuthStore } from './file'
import {
  createKeychainAuthStore,
  createKeychainBackend,
  type KeychainAuthStoreOptions,
  keychainLocation,
} from './keychain'

/** Options of {@link createAuthStore}. */
export interface AuthStoreOptions extends KeychainAuthStoreOptions {
  /**
   * Storage mode (`--auth-storage`, `AIRELAYS_AUTH_STORAGE`, `[auth] storage`, resolved by
   * @airelays/config):
   * - `auto`: keychain when reachable, else the 0600 `auth.json`. Reads try the keychain first and
   *   fall back to the file; saves go to the keychain and then delete the file, or to the file when
   *   the keychain fails; deletes remove both.
   * - `file`: only `auth.json`.
   * - `keyring`: only the keychain; fails loudly (`keychain_unavailable`), never writes a file.
   * @default "auto"
   */
  mode?: 'auto' | 'file' | 'keyring'
}

const FALLBACK_NOTE = 'using 0600 file'

/**
 * Creates the store for a storage mode (see {@link AuthStoreOptions.mode}). The keychain module is
 * loaded lazily on first use; `file` mode never loads it.
 */
export function createAuthStore(options: AuthStoreOptions): AuthStore {
  const mode = options?.mode ?? 'auto'
  switch (mode) {
    case 'file':
      return createFileAuthStore({ dataDir: options.dataDir, lock: options.lock })
    case 'keyring':
      return createKeychainAuthStore(options)
    case 'auto':
      return createAutoAuthStore(options)
    default:
      throw new AuthStoreError(
        'invalid_options',
        `createAuthStore: "mode" must be "auto", "file" or "keyring" (got ${JSON.stringify(String(mode))}).`,
      )
  }
}

function isKeychainFailure(error: unknown): error is AuthStoreError {
  return isAuthStoreError(error) && error.code === 'keychain_unavailable'
}

function createAutoAuthStore(options: KeychainAuthStoreOptions): AuthStore {
  const keychain = createKeychainBackend(options, 'createAuthStore')
  const lock = resolveLockOptions(options.lock, 'createAuthStore')
  const files = new FileBackend(keychain.dataDir)
  // Why the last save fell back to the file (this instance only), for describe().
  let lastSaveFailure: string | null = null

  const get = async (slot: string): Promise<StoredAuth | null> => {
    try {
      const stored = await keychain.read(slot)
      if (stored !== null) return stored
    } catch (error) {
      if (!isKeychainFailure(error)) throw error
    }
    return files.read(slot)
  }
  const save = async (slot: string, auth: StoredAuth): Promise<void> => {
    try {
      await keychain.write(slot, auth)
    } catch (error) {
      if (!isKeychainFailure(error)) throw error
      lastSaveFailure = error.reason ?? error.message
      await files.write(slot, auth)
      return
    }
    lastSaveFailure = null
    // The keychain now holds the credentials: the file copy goes (best effort; reads prefer the
    // keychain, so a file that cannot be removed is shadowed, and the next save retries).
    await files.remove(slot).catch(() => false)
  }
  const remove = async (slot: string): Promise<boolean> => {
    const fromFile = await files.remove(slot)
    let fromKeychain = false
    try {
      fromKeychain = await keychain.remove(slot)
    } catch (error) {
      if (!isKeychainFailure(error)) throw error
    }
    return fromFile || fromKeychain
  }

  return {
    mode: 'auto' as AuthStoreMode,
    get: async (slot: string): Promise<StoredAuth | null> => get(assertSlot(slot)),
    async set(slot: string, auth: StoredAuth): Promise<void> {
      assertSlot(slot)
      await save(slot, validateInput(auth, slot))
    },
    delete: async (slot: string): Promise<boolean> => remove(assertSlot(slot)),
    async list(): Promise<string[]> {
      const found = new Set(await files.list())
      try {
        for (const slot of await keychain.list()) found.add(slot)
      } catch (error) {
        if (!isKeychainFailure(error)) throw error
      }
      const slugs = [...found].filter((s) => s !== DEFAULT_SLOT).sort()
      return found.has(DEFAULT_SLOT) ? [DEFAULT_SLOT, ...slugs] : slugs
    },
    async update(slot: string, updater: AuthUpdater): Promise<StoredAuth | null> {
      assertSlot(slot)
      return withLockFile(files.lockPathFor(slot), lock, () =>
        applyUpdate(slot, updater, {
          get: () => get(slot),
          set: (auth) => save(slot, auth),
          delete: () => remove(slot),
        }),
      )
    },
    async describe(slot: string = DEFAULT_SLOT): Promise<AuthStoreDescription> {
      assertSlot(slot)
      const path = files.pathFor(slot)
      const account = await keychain.accountFor(slot)
      const base = { mode: 'auto' as const, slot, path, keychain: { service: keychain.service, account } }
      const inFile = await files.exists(slot)
      let unreachable: string | null = null
      let inKeychain = false
      try {
        inKeychain = await keychain.exists(slot)
      } catch (error) {
        unreachable = isAuthStoreError(error) ? (error.reason ?? error.message) : String(error)
      }
      if (unreachable !== null) {
        return {
          ...base,
          driver: 'file',
          reason: `keychain unavailable: ${unreachable}; ${FALLBACK_NOTE}`,
          location: path,
        }
      }
      if (inKeychain)
        return { ...base, driver: 'keychain', location: keychainLocation(keychain.service, account) }
      if (lastSaveFailure !== null) {
        return {
          ...base,
          driver: 'file',
          reason: `keychain unavailable: ${lastSaveFailure}; ${FALLBACK_NOTE}`,
          location: path,
        }
      }
      if (inFile) {
        return {
          ...base,
          driver: 'file',
          reason:
            'credentials are in the 0600 file (saved while the keychain was unavailable, or in file mode); the next save moves them to the keychain',
          location: path,
        }
      }
      return { ...base, driver: 'keychain', location: keychainLocation(keychain.service, account) }
    },
  }
}

import { FileBackend } from '../_internal/file-backend'
import { resolveLockOptions, withLockFile } from '../_internal/lock'
import { applyUpdate, validateInput } from '../_internal/update'
import { assertDataDir, assertSlot, DEFAULT_SLOT } from '../slots'
import type {
  AuthLockOptions,
  AuthStore,
  AuthStoreDescription,
  AuthStoreMode,
  AuthUpdater,
  StoredAuth,
} from '../types'

/** Options of {@link createFileAuthStore}. */
export interface FileAuthStoreOptions {
  /**
   * Absolute data directory (the `"default"` slot's root). Resolved by @airelays/config from
   * `--data-dir` / `AIRELAYS_DATA_DIR` / legacy `~/.airelay`; this package reads no environment.
   */
  dataDir: string
  /** Tuning of the advisory lock used by `update()`. */
  lock?: AuthLockOptions
}

/**
 * Credentials in `auth.json` files: `<dataDir>/auth.json` for `"default"`,
 * `<dataDir>/accounts/<slug>/auth.json` for account slots. The format is the Python
 * implementation's (pretty JSON). Files are 0600 (a group/world-readable file is narrowed on read
 * and replaced on write), created directories 0700, and every write goes through a temp file
 * `.auth.json.<random>` + fsync + rename, so readers never see a partial file. A missing file
 * reads as null; an unreadable or malformed one throws (`auth_read_failed`, `auth_file_corrupt`).
 */
export function createFileAuthStore(options: FileAuthStoreOptions): AuthStore {
  const dataDir = assertDataDir(options?.dataDir, 'createFileAuthStore')
  const lock = resolveLockOptions(options.lock, 'createFileAuthStore')
  const files = new FileBackend(dataDir)
  const get = async (slot: string): Promise<StoredAuth | null> => files.read(assertSlot(slot))
  const set = async (slot: string, auth: StoredAuth): Promise<void> => {
    assertSlot(slot)
    await files.write(slot, validateInput(auth, slot))
  }
  const remove = async (slot: string): Promise<boolean> => files.remove(assertSlot(slot))
  return {
    mode: 'file' as AuthStoreMode,
    get,
    set,
    delete: remove,
    list: async (): Promise<string[]> => files.list(),
    async update(slot: string, updater: AuthUpdater): Promise<StoredAuth | null> {
      assertSlot(slot)
      return withLockFile(files.lockPathFor(slot), lock, () =>
        applyUpdate(slot, updater, {
          get: () => files.read(slot),
          set: (auth) => files.write(slot, auth),
          delete: () => files.remove(slot),
        }),
      )
    },
    async describe(slot: string = DEFAULT_SLOT): Promise<AuthStoreDescription> {
      assertSlot(slot)
      const path = files.pathFor(slot)
      return { mode: 'file', driver: 'file', location: path, slot, path, keychain: null }
    },
  }
}

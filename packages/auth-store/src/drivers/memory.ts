import { copyAuth } from '../_internal/auth'
import { KeyedSerializer } from '../_internal/serial'
import { applyUpdate, validateInput } from '../_internal/update'
import { assertSlot, DEFAULT_SLOT } from '../slots'
import type { AuthStore, AuthStoreDescription, AuthStoreMode, AuthUpdater, StoredAuth } from '../types'

/**
 * An in-memory {@link AuthStore} for tests and embedding: nothing touches the disk, nothing
 * survives the process. Values are copied in and out, so callers cannot mutate stored state.
 */
export function createMemoryAuthStore(): AuthStore {
  const slots = new Map<string, StoredAuth>()
  const serializer = new KeyedSerializer()
  const get = async (slot: string): Promise<StoredAuth | null> => {
    const stored = slots.get(assertSlot(slot))
    return stored === undefined ? null : copyAuth(stored)
  }
  const set = async (slot: string, auth: StoredAuth): Promise<void> => {
    assertSlot(slot)
    slots.set(slot, validateInput(auth, slot))
  }
  const remove = async (slot: string): Promise<boolean> => slots.delete(assertSlot(slot))
  return {
    mode: 'memory' as AuthStoreMode,
    get,
    set,
    delete: remove,
    async list(): Promise<string[]> {
      const names = [...slots.keys()].filter((s) => s !== DEFAULT_SLOT).sort()
      return slots.has(DEFAULT_SLOT) ? [DEFAULT_SLOT, ...names] : names
    },
    async update(slot: string, updater: AuthUpdater): Promise<StoredAuth | null> {
      assertSlot(slot)
      return serializer.run(slot, () =>
        applyUpdate(slot, updater, {
          get: () => get(slot),
          set: (auth) => set(slot, auth),
          delete: () => remove(slot),
        }),
      )
    },
    async describe(slot: string = DEFAULT_SLOT): Promise<AuthStoreDescription> {
      assertSlot(slot)
      return {
        mode: 'memory',
        driver: 'memory',
        location: 'memory (this process only)',
        slot,
        path: null,
        keychain: null,
      }
    },
  }
}

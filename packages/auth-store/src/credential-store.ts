import { assertSlot, DEFAULT_SLOT } from './slots'
import type { AuthStore, AuthUpdater, StoredAuth } from './types'

/**
 * One slot of an {@link AuthStore} in the shape of @airelays/upstream-client's `CredentialStore`
 * (structurally; neither package imports the other).
 */
export interface SlotCredentialStore {
  /** The slot's credentials, or null when logged out. */
  load(): Promise<StoredAuth | null>
  /** Replaces the slot's credentials (after login or a token refresh). */
  save(auth: StoredAuth): Promise<void>
  /** Removes the slot's credentials (logout). */
  delete(): Promise<void>
  /**
   * Read-modify-write of the slot under the store's cross-process lock (see `AuthStore.update`):
   * a token refresh run inside it sees a refresh token another process rotated meanwhile.
   */
  update(updater: AuthUpdater): Promise<StoredAuth | null>
}

/**
 * Adapts one slot of `store` (default `"default"`) to the upstream client's credential interface:
 * `createUpstreamClient({ credentials: credentialStoreFor(store) })`.
 */
export function credentialStoreFor(store: AuthStore, slot: string = DEFAULT_SLOT): SlotCredentialStore {
  assertSlot(slot)
  return {
    load: () => store.get(slot),
    save: (auth) => store.set(slot, auth),
    async delete(): Promise<void> {
      await store.delete(slot)
    },
    update: (updater) => store.update(slot, updater),
  }
}

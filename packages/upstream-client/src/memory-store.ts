import type { CredentialStore, StoredAuth } from './types'

/**
 * A `CredentialStore` that keeps credentials in memory (deep-copied on every load and save),
 * for scripts and tests that do not need persistence.
 */
export function createMemoryCredentialStore(initial: StoredAuth | null = null): CredentialStore {
  let current: StoredAuth | null = initial ? structuredClone(initial) : null
  return {
    async load(): Promise<StoredAuth | null> {
      return current ? structuredClone(current) : null
    },
    async save(auth: StoredAuth): Promise<void> {
      current = structuredClone(auth)
    },
    async delete(): Promise<void> {
      current = null
    },
  }
}

import { AuthStoreError } from '../errors'
import type { AuthUpdater, StoredAuth } from '../types'
import { normalizeStoredAuth } from './auth'

/** Applies an updater's result through the given primitives; shared by every driver. */
export async function applyUpdate(
  slot: string,
  updater: AuthUpdater,
  ops: {
    get: () => Promise<StoredAuth | null>
    set: (auth: StoredAuth) => Promise<void>
    delete: () => Promise<unknown>
  },
): Promise<StoredAuth | null> {
  if (typeof updater !== 'function') {
    throw new AuthStoreError('invalid_options', 'update(): the updater must be a function.', { slot })
  }
  const current = await ops.get()
  const next = await updater(current)
  if (next === undefined) return current
  if (next === null) {
    await ops.delete()
    return null
  }
  const normalized = normalizeStoredAuth(next, 'input')
  if (!normalized.ok) {
    throw new AuthStoreError(
      'auth_invalid',
      `update(): the updater returned invalid credentials: ${normalized.problem}.`,
      {
        slot,
      },
    )
  }
  await ops.set(normalized.auth)
  return normalized.auth
}

export function validateInput(auth: unknown, slot: string): StoredAuth {
  const normalized = normalizeStoredAuth(auth, 'input')
  if (!normalized.ok) {
    throw new AuthStoreError(
      'auth_invalid',
      `Refusing to store invalid credentials in slot "${slot}": ${normalized.problem}.`,
      {
        slot,
      },
    )
  }
  return normalized.auth
}

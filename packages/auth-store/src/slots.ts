import { isAbsolute, join } from 'node:path'
import { AuthStoreError } from './errors'

/** The slot of the data dir root (`<data>/auth.json`): the first, legacy account. */
export const DEFAULT_SLOT = 'default'

const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** True for `"default"` and for account slugs that are safe directory names under `<data>/accounts`. */
export function isValidSlot(slot: unknown): slot is string {
  return typeof slot === 'string' && (slot === DEFAULT_SLOT || SLUG_PATTERN.test(slot))
}

/** Throws `invalid_slot` unless `slot` is valid; returns it. */
export function assertSlot(slot: unknown): string {
  if (isValidSlot(slot)) return slot
  const shown = typeof slot === 'string' ? JSON.stringify(slot.slice(0, 80)) : typeof slot
  throw new AuthStoreError(
    'invalid_slot',
    `Invalid auth slot ${shown}: use "${DEFAULT_SLOT}" or an account slug of letters, digits, ".", "_" and "-" (not starting with "."; at most 128 characters).`,
  )
}

/**
 * The storage root of a slot: `dataDir` itself for `"default"`, `<dataDir>/accounts/<slot>`
 * otherwise. Its `auth.json` (file storage) or keychain entry (keyed on this path) holds the slot's
 * credentials.
 */
export function slotDirectory(dataDir: string, slot: string): string {
  assertSlot(slot)
  return slot === DEFAULT_SLOT ? dataDir : join(dataDir, 'accounts', slot)
}

export function assertDataDir(dataDir: unknown, factory: string): string {
  if (typeof dataDir !== 'string' || dataDir.length === 0 || !isAbsolute(dataDir)) {
    throw new AuthStoreError(
      'invalid_options',
      `${factory}: "dataDir" must be an absolute path (got ${typeof dataDir === 'string' ? JSON.stringify(dataDir) : typeof dataDir}).`,
    )
  }
  return dataDir
}

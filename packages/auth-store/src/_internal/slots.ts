import { createHash } from 'node:crypto'
import { readdir, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { DEFAULT_SLOT, isValidSlot } from '../slots'
import { errnoCode } from './fs'

/**
 * `DEFAULT_SLOT` plus every directory under `<data>/accounts` whose name is a valid slug (dot
 * directories such as `.staging-<pid>` are ignored), slugs sorted.
 */
export async function slotCandidates(dataDir: string): Promise<string[]> {
  let names: string[] = []
  try {
    const entries = await readdir(join(dataDir, 'accounts'), { withFileTypes: true })
    names = entries
      .filter((e) => e.isDirectory() && e.name !== DEFAULT_SLOT && isValidSlot(e.name))
      .map((e) => e.name)
      .sort()
  } catch (error) {
    const code = errnoCode(error)
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
  }
  return [DEFAULT_SLOT, ...names]
}

/**
 * Like Python's `Path.resolve()` (non-strict): an absolute path with symlinks resolved for the part
 * that exists.
 */
export async function resolveStorageRoot(path: string): Promise<string> {
  const absolute = resolve(path)
  try {
    return await realpath(absolute)
  } catch (error) {
    const code = errnoCode(error)
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return absolute
    const parent = dirname(absolute)
    if (parent === absolute) return absolute
    return join(await resolveStorageRoot(parent), basename(absolute))
  }
}

/** Keychain account name of a storage root: `cli|` + the first 16 hex of sha256(resolved path). */
export function keychainAccountForResolvedRoot(resolvedRoot: string): string {
  return `cli|${createHash('sha256').update(resolvedRoot, 'utf8').digest('hex').slice(0, 16)}`
}

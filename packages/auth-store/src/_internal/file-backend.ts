import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AuthStoreError } from '../errors'
import { slotDirectory } from '../slots'
import type { StoredAuth } from '../types'
import { parseStoredAuth } from './auth'
import { describeSystemError, errnoCode, removeFile, tightenFileMode, writeFileAtomic } from './fs'
import { slotCandidates } from './slots'

export const AUTH_FILE_NAME = 'auth.json'

/** `auth.json` per slot, in the Python implementation's format. */
export class FileBackend {
  readonly dataDir: string

  constructor(dataDir: string) {
    this.dataDir = dataDir
  }

  pathFor(slot: string): string {
    return join(slotDirectory(this.dataDir, slot), AUTH_FILE_NAME)
  }

  lockPathFor(slot: string): string {
    return `${this.pathFor(slot)}.lock`
  }

  async read(slot: string): Promise<StoredAuth | null> {
    const path = this.pathFor(slot)
    let text: string
    try {
      await tightenFileMode(path)
      text = await readFile(path, 'utf8')
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      throw new AuthStoreError(
        'auth_read_failed',
        `Could not read the credentials file ${path} (${describeSystemError(error)}).`,
        { path, slot, cause: error },
      )
    }
    const parsed = parseStoredAuth(text)
    if (!parsed.ok) {
      throw new AuthStoreError(
        'auth_file_corrupt',
        `The credentials file ${path} is corrupt (${parsed.problem}). Fix it or delete it, then run \`airelays login\`.`,
        { path, slot },
      )
    }
    return parsed.auth
  }

  async write(slot: string, auth: StoredAuth): Promise<void> {
    const path = this.pathFor(slot)
    try {
      await writeFileAtomic(path, `${JSON.stringify(auth, null, 2)}\n`)
    } catch (error) {
      throw new AuthStoreError(
        'auth_write_failed',
        `Could not write the credentials file ${path} (${describeSystemError(error)}).`,
        { path, slot, cause: error },
      )
    }
  }

  async remove(slot: string): Promise<boolean> {
    const path = this.pathFor(slot)
    try {
      return await removeFile(path)
    } catch (error) {
      throw new AuthStoreError(
        'auth_write_failed',
        `Could not delete the credentials file ${path} (${describeSystemError(error)}).`,
        { path, slot, cause: error },
      )
    }
  }

  async exists(slot: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(slot))).isFile()
    } catch {
      return false
    }
  }

  async list(): Promise<string[]> {
    const found: string[] = []
    for (const slot of await slotCandidates(this.dataDir)) {
      if (await this.exists(slot)) found.push(slot)
    }
    return found
  }
}

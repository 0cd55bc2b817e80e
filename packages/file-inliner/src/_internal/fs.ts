import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises'

export const DIR_MODE = 0o700
export const FILE_MODE = 0o600

/** Creates `dir` (and parents) and forces mode 0700 on `dir` itself. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE })
  await chmod(dir, DIR_MODE)
}

/**
 * Flushes a directory entry table so a rename inside it survives a power loss. Platforms that cannot
 * open directories for fsync (Windows) are skipped silently: the rename is still atomic there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // best effort; see above
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** Suffix of the temporary files written by {@link writeFileAtomic}. */
export const ATOMIC_TMP_SUFFIX = '.tmp'

/**
 * Writes `data` to `path` crash-safely: a sibling temp file (mode 0600, exclusive create) is written,
 * fsynced and renamed over `path`, then the directory is fsynced. Readers see the old or the new
 * content, never a mix; a crash leaves at most a stray `<name>.<hex>.tmp` file.
 */
export async function writeFileAtomic(path: string, dir: string, data: string): Promise<void> {
  const tmp = `${path}.${randomHex(8)}${ATOMIC_TMP_SUFFIX}`
  const handle = await open(tmp, 'wx', FILE_MODE)
  try {
    try {
      await handle.writeFile(data, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw error
  }
  await fsyncDir(dir)
}

import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Mode of every secret file this package writes. */
export const SECRET_FILE_MODE = 0o600
/** Mode of every directory this package creates. */
export const PRIVATE_DIR_MODE = 0o700

/** Short, secret-free description of a system error (errno code, else message). */
export function describeSystemError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown }
    if (typeof e.code === 'string' && e.code.length > 0) return e.code
    if (typeof e.message === 'string' && e.message.length > 0) return e.message
  }
  return String(error)
}

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}

/** Creates `dir` (and missing parents) with mode 0700. Existing directories keep their mode. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
}

/**
 * Narrows a file that is readable or writable by group/others down to 0600. Best effort: a file
 * owned by someone else (EPERM) keeps its mode.
 */
export async function tightenFileMode(path: string): Promise<void> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch {
    return
  }
  if ((mode & 0o077) === 0) return
  try {
    await chmod(path, SECRET_FILE_MODE)
  } catch {
    // Not ours to change; reading still works and the next atomic write replaces the file.
  }
}

/**
 * Writes `data` to `path` atomically: a temp file `.<name>.<random>` in the same directory,
 * created exclusively with mode 0600, fsynced, then renamed over `path`; the directory is fsynced
 * afterwards (best effort). Readers see the old or the new content, never a mix. Missing parent
 * directories are created 0700. Throws the raw system error; callers wrap it.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path)
  await ensurePrivateDir(dir)
  const temp = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}`)
  const handle = await open(temp, 'wx', SECRET_FILE_MODE)
  try {
    try {
      await handle.chmod(SECRET_FILE_MODE) // exact mode whatever the umask
      await handle.writeFile(data, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw error
  }
  await syncDirectory(dir)
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself is already atomic.
  }
}

/** Removes a file; resolves false when it did not exist. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false
    throw error
  }
}

import { randomBytes } from 'node:crypto'
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { AuthStoreError } from '../errors'
import type { AuthLockOptions } from '../types'
import { describeSystemError, ensurePrivateDir, errnoCode, SECRET_FILE_MODE } from './fs'

export const DEFAULT_STALE_AFTER_MS = 30_000
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000

interface LockOwner {
  pid?: unknown
  host?: unknown
  nonce?: unknown
}

export interface ResolvedLockOptions {
  staleAfterMs: number
  timeoutMs: number
}

export function resolveLockOptions(
  options: AuthLockOptions | undefined,
  factory: string,
): ResolvedLockOptions {
  const staleAfterMs = options?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
  const timeoutMs = options?.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
  for (const [name, value] of [
    ['lock.staleAfterMs', staleAfterMs],
    ['lock.timeoutMs', timeoutMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new AuthStoreError(
        'invalid_options',
        `${factory}: "${name}" must be a positive number of milliseconds.`,
      )
    }
  }
  return { staleAfterMs, timeoutMs }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoCode(error) === 'EPERM'
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
    return typeof parsed === 'object' && parsed !== null ? (parsed as LockOwner) : null
  } catch {
    return null
  }
}

/**
 * Runs `fn` while holding the advisory lock file `lockPath`.
 *
 * The lock is a file created with O_EXCL holding `{pid, host, nonce, acquired_at}` (no secrets).
 * The holder touches it every `staleAfterMs / 3`; a waiter takes it over when it was not touched for
 * `staleAfterMs`, or at once when its holder is a dead process on this host. Waiters poll with
 * a small jittered back-off and give up with `lock_timeout` after `timeoutMs`. Only the holder's
 * own lock is removed on release (checked by nonce), so a taken-over holder cannot delete its
 * successor's lock.
 */
export async function withLockFile<T>(
  lockPath: string,
  options: ResolvedLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const nonce = randomBytes(12).toString('hex')
  const host = hostname()
  const deadline = Date.now() + options.timeoutMs
  await ensurePrivateDir(dirname(lockPath))
  let delay = 10
  let lastOwner: LockOwner | null = null
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', SECRET_FILE_MODE)
      try {
        await handle.writeFile(
          JSON.stringify({ pid: process.pid, host, nonce, acquired_at: new Date().toISOString() }),
        )
      } finally {
        await handle.close()
      }
      break
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') {
        throw new AuthStoreError(
          'auth_write_failed',
          `Could not create the lock file ${lockPath} (${describeSystemError(error)}).`,
          { path: lockPath, cause: error },
        )
      }
    }
    lastOwner = await readOwner(lockPath)
    if (await takeOverIfStale(lockPath, lastOwner, host, options.staleAfterMs)) continue
    if (Date.now() >= deadline) {
      const holder =
        typeof lastOwner?.pid === 'number'
          ? ` by process ${lastOwner.pid}${typeof lastOwner.host === 'string' && lastOwner.host !== host ? ` on ${lastOwner.host}` : ''}`
          : ''
      throw new AuthStoreError(
        'lock_timeout',
        `Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for the credentials lock ${lockPath}, held${holder}. If no other airelays process is running, delete that file and retry.`,
        { path: lockPath },
      )
    }
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - Date.now())))
    delay = Math.min(delay * 2, 100)
  }

  const heartbeat = setInterval(
    () => {
      const now = new Date()
      utimes(lockPath, now, now).catch(() => {})
    },
    Math.max(10, Math.floor(options.staleAfterMs / 3)),
  )
  heartbeat.unref()
  try {
    return await fn()
  } finally {
    clearInterval(heartbeat)
    const owner = await readOwner(lockPath)
    if (owner?.nonce === nonce) await unlink(lockPath).catch(() => {})
  }
}

async function takeOverIfStale(
  lockPath: string,
  owner: LockOwner | null,
  host: string,
  staleAfterMs: number,
): Promise<boolean> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(lockPath)
  } catch (error) {
    return errnoCode(error) === 'ENOENT' // released meanwhile: retry at once
  }
  const deadHolder =
    owner !== null && owner.host === host && typeof owner.pid === 'number' && !processIsAlive(owner.pid)
  const abandoned = Date.now() - info.mtimeMs > staleAfterMs
  if (!deadHolder && !abandoned) return false
  // Move the stale lock aside atomically: of several waiters only one rename succeeds.
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`
  try {
    await rename(lockPath, aside)
  } catch (error) {
    // ENOENT: another waiter took it over first; race for the fresh lock. Anything else (e.g. no
    // write permission on the directory): keep waiting, so the deadline still applies.
    return errnoCode(error) === 'ENOENT'
  }
  try {
    const moved = await stat(aside)
    if (moved.ino !== info.ino || moved.dev !== info.dev) {
      // We moved a lock that was acquired after our check: put it back unless replaced again.
      const handle = await open(lockPath, 'wx', SECRET_FILE_MODE).catch(() => null)
      if (handle !== null) {
        await handle.close()
        await rename(aside, lockPath).catch(() => {})
        return false
      }
    }
  } finally {
    await unlink(aside).catch(() => {})
  }
  return true
}

import { statSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { CredentialStore, StoredAuth } from '@airelays/upstream-client'
import type { SecretSet } from '../logging/redact'

/** How long credentials read from a keychain (no auth.json to watch) are reused, in ms. */
const KEYCHAIN_TTL_MS = 1000
/** auth.json is stat'ed at most this often (ms); saves through this store invalidate at once. */
const STAT_INTERVAL_MS = 100

/** Adds the upstream tokens to the log scrubber whenever credentials are read or rotated. */
export function scrubbingCredentials(store: CredentialStore, secrets: SecretSet): CredentialStore {
  const remember = (auth: StoredAuth | null): void => {
    if (!auth) return
    secrets.add(auth.tokens.access_token)
    secrets.add(auth.tokens.refresh_token)
    secrets.add(auth.tokens.id_token)
  }
  return {
    async load() {
      const auth = await store.load()
      remember(auth)
      return auth
    },
    async save(auth) {
      remember(auth)
      await store.save(auth)
    },
    ...(store.delete ? { delete: () => (store.delete as () => Promise<void>)() } : {}),
  }
}

/**
 * The stat signature of `file`. A synchronous `stat` on purpose: it is one syscall of a few
 * microseconds, while the thread-pool round trip of `fs.promises.stat` costs a request about a
 * quarter of a millisecond on a small machine, on the path before the upstream call.
 */
function signatureOf(file: string): string {
  try {
    const info = statSync(file, { throwIfNoEntry: false })
    return info === undefined ? 'absent' : `${info.mtimeMs}:${info.size}:${info.ino}`
  } catch {
    return 'error'
  }
}

/**
 * The upstream client reads the credentials before every call; reading and parsing `auth.json`
 * (or asking the keychain) each time costs about a millisecond. This keeps the last value while
 * `auth.json`'s stat signature (mtime, size, inode) is unchanged (checked at most every
 * {@link STAT_INTERVAL_MS}), so a login, logout or refresh by another process is seen promptly. Without a file (keychain storage) the value is reused
 * for at most {@link KEYCHAIN_TTL_MS}. Saves and deletes through this store drop the cache.
 */
export function cachingCredentials(store: CredentialStore, authFile: string): CredentialStore {
  let cached: { auth: StoredAuth | null; signature: string; at: number; checkedAt: number } | null = null
  return {
    async load() {
      const now = performance.now()
      if (cached !== null && cached.signature !== 'absent' && now - cached.checkedAt < STAT_INTERVAL_MS) {
        return cached.auth
      }
      const signature = signatureOf(authFile)
      if (
        cached !== null &&
        signature !== 'error' &&
        cached.signature === signature &&
        (signature !== 'absent' || now - cached.at < KEYCHAIN_TTL_MS)
      ) {
        cached.checkedAt = now
        return cached.auth
      }
      const auth = await store.load()
      cached = { auth, signature, at: now, checkedAt: now }
      return auth
    },
    async save(auth) {
      cached = null
      try {
        await store.save(auth)
      } finally {
        cached = null
      }
    },
    ...(store.delete
      ? {
          delete: async () => {
            cached = null
            try {
              await (store.delete as () => Promise<void>)()
            } finally {
              cached = null
            }
          },
        }
      : {}),
  }
}

import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sampleAuth } from './_conformance'
import { makeTempDir } from './_test-helpers'
import { createFileAuthStore } from './drivers/file'
import { isAuthStoreError } from './errors'

describe('update() advisory lock (auth.json.lock)', () => {
  let dataDir: string
  let cleanup: () => Promise<void>
  let lockFile: string
  beforeEach(async () => {
    const temp = await makeTempDir()
    cleanup = temp.cleanup
    dataDir = join(temp.dir, 'data')
    lockFile = join(dataDir, 'auth.json.lock')
    await mkdir(dataDir)
  })
  afterEach(async () => {
    await cleanup()
  })

  it('fails with lock_timeout naming the lock and its live holder', async () => {
    await writeFile(lockFile, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'other' }))
    const store = createFileAuthStore({ dataDir, lock: { timeoutMs: 200 } })
    let ran = false
    const error = await store
      .update('default', () => {
        ran = true
        return sampleAuth('x')
      })
      .catch((e: unknown) => e)
    expect(isAuthStoreError(error)).toBe(true)
    expect((error as { code: string }).code).toBe('lock_timeout')
    expect((error as Error).message).toContain(lockFile)
    expect((error as Error).message).toContain(`held by process ${process.pid}`)
    expect(ran).toBe(false)
    // Someone else's lock is left alone.
    expect(JSON.parse(await readFile(lockFile, 'utf8')).nonce).toBe('other')
  })

  it('takes over a lock nobody touched for staleAfterMs (holder on another host)', async () => {
    await writeFile(lockFile, JSON.stringify({ pid: 1, host: 'some-other-host', nonce: 'old' }))
    const old = new Date(Date.now() - 3_600_000)
    await utimes(lockFile, old, old)
    const store = createFileAuthStore({ dataDir, lock: { staleAfterMs: 30_000, timeoutMs: 5_000 } })
    expect(await store.update('default', () => sampleAuth('took-over'))).toEqual(sampleAuth('took-over'))
    expect(await readdir(dataDir)).toEqual(['auth.json'])
  })

  it('takes over an empty lock file (holder crashed before writing) once it is stale', async () => {
    await writeFile(lockFile, '')
    const old = new Date(Date.now() - 3_600_000)
    await utimes(lockFile, old, old)
    const store = createFileAuthStore({ dataDir, lock: { timeoutMs: 5_000 } })
    expect(await store.update('default', () => sampleAuth('ok'))).toEqual(sampleAuth('ok'))
  })

  it('keeps a live holder’s lock fresh while it works longer than staleAfterMs', async () => {
    const lock = { staleAfterMs: 600, timeoutMs: 10_000 }
    const first = createFileAuthStore({ dataDir, lock })
    const second = createFileAuthStore({ dataDir, lock })
    const events: string[] = []
    let signalStarted: () => void = () => {}
    const started = new Promise<void>((resolve) => {
      signalStarted = resolve
    })
    const slow = first.update('default', async () => {
      events.push('first:start')
      signalStarted()
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      events.push('first:end')
      return sampleAuth('first')
    })
    await started
    const fast = second.update('default', (current) => {
      events.push('second:run')
      expect(current).toEqual(sampleAuth('first'))
      return sampleAuth('second')
    })
    await Promise.all([slow, fast])
    expect(events).toEqual(['first:start', 'first:end', 'second:run'])
    expect(await first.get('default')).toEqual(sampleAuth('second'))
  })

  it('validates lock options', () => {
    for (const lock of [{ staleAfterMs: 0 }, { timeoutMs: Number.NaN }, { timeoutMs: -5 }]) {
      let error: unknown
      try {
        createFileAuthStore({ dataDir, lock })
      } catch (e) {
        error = e
      }
      expect((error as { code: string }).code).toBe('invalid_options')
    }
  })
})

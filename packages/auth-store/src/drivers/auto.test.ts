import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, realpath, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeAuthStore, sampleAuth } from '../_conformance'
import {
  createFakeKeyring,
  detectRealKeychain,
  type FakeKeyring,
  makeTempDir,
  permissions,
} from '../_test-helpers'
import { isAuthStoreError } from '../errors'
import type { KeyringModule } from '../types'
import { createAuthStore } from './auto'

const real = await detectRealKeychain()
if (!real.available) console.warn(`keychain tests skipped: ${real.reason}`)

const unloadable = async (): Promise<KeyringModule> => {
  throw new Error('Cannot find native binding')
}

describeAuthStore(
  'auto (real Secret Service)',
  async () => {
    const { dir, cleanup } = await makeTempDir()
    const service = `AIRelays Auth test ${randomBytes(4).toString('hex')}`
    const store = createAuthStore({ mode: 'auto', dataDir: join(dir, 'data'), service, legacyService: null })
    return {
      store,
      cleanup: async () => {
        for (const slot of ['default', 'alice-0123456789', 'bob-abcdef0123']) await store.delete(slot)
        await cleanup()
      },
    }
  },
  { skip: !real.available },
)

describeAuthStore('auto (keychain unavailable: file fallback)', async () => {
  const { dir, cleanup } = await makeTempDir()
  return { store: createAuthStore({ dataDir: join(dir, 'data'), loadKeyring: unloadable }), cleanup }
})

describeAuthStore('auto (injected keychain)', async () => {
  const { dir, cleanup } = await makeTempDir()
  const fake = createFakeKeyring()
  return {
    store: createAuthStore({ dataDir: join(dir, 'data'), loadKeyring: async () => fake.module }),
    cleanup,
  }
})

async function accountFor(path: string): Promise<string> {
  return `cli|${createHash('sha256')
    .update(await realpath(path))
    .digest('hex')
    .slice(0, 16)}`
}

describe('createAuthStore', () => {
  let dir: string
  let dataDir: string
  let cleanup: () => Promise<void>
  let fake: FakeKeyring
  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir())
    dataDir = join(dir, 'data')
    fake = createFakeKeyring()
  })
  afterEach(async () => {
    await cleanup()
  })

  describe('auto mode', () => {
    it('falls back to the 0600 file when the keychain cannot load, and describe() says so', async () => {
      const store = createAuthStore({ dataDir, loadKeyring: unloadable })
      expect(store.mode).toBe('auto')
      await store.set('default', sampleAuth('fallback'))
      const file = join(dataDir, 'auth.json')
      expect(permissions((await stat(file)).mode)).toBe(0o600)
      expect(await store.get('default')).toEqual(sampleAuth('fallback'))
      expect(await store.describe()).toEqual({
        mode: 'auto',
        driver: 'file',
        reason:
          'keychain unavailable: could not load @napi-rs/keyring: Cannot find native binding; using 0600 file',
        location: file,
        slot: 'default',
        path: file,
        keychain: { service: 'AIRelays Auth', account: await accountFor(dataDir) },
      })
    })

    it('falls back to the file when the keychain is reachable but refuses to save', async () => {
      fake.failSetOn = 'AIRelays Auth'
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      await store.set('default', sampleAuth('refused'))
      expect(await store.get('default')).toEqual(sampleAuth('refused'))
      expect(fake.entries.size).toBe(0)
      const described = await store.describe()
      expect(described.driver).toBe('file')
      expect(described.reason).toBe(
        'keychain unavailable: save: Platform failure: cannot store here; using 0600 file',
      )
    })

    it('saves to the keychain and then deletes the file copy', async () => {
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file-era')), { mode: 0o600 })
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      // Before the save, the file is what there is.
      expect(await store.get('default')).toEqual(sampleAuth('file-era'))
      expect((await store.describe()).driver).toBe('file')
      await store.set('default', sampleAuth('keychain-era'))
      expect(await readdir(dataDir)).toEqual([])
      expect(
        JSON.parse(fake.entries.get(`AIRelays Auth\u0000${await accountFor(dataDir)}`) ?? 'null'),
      ).toEqual(sampleAuth('keychain-era'))
      expect(await store.describe()).toMatchObject({
        driver: 'keychain',
        location: expect.stringContaining('"AIRelays Auth"'),
      })
    })

    it('reads the keychain first and the file only when the keychain has nothing', async () => {
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file')), { mode: 0o600 })
      fake.entries.set(
        `AIRelays Auth\u0000${await accountFor(dataDir)}`,
        JSON.stringify(sampleAuth('keychain')),
      )
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      expect(await store.get('default')).toEqual(sampleAuth('keychain'))
      fake.failWith = 'Platform failure: DBus error: no session bus'
      expect(await store.get('default')).toEqual(sampleAuth('file'))
      expect((await store.describe()).reason).toBe(
        'keychain unavailable: read: Platform failure: DBus error: no session bus; using 0600 file',
      )
    })

    it('migrates a legacy keychain entry in auto mode too', async () => {
      await mkdir(dataDir)
      const account = await accountFor(dataDir)
      fake.entries.set(`AIRelay Auth\u0000${account}`, JSON.stringify(sampleAuth('legacy')))
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      expect(await store.get('default')).toEqual(sampleAuth('legacy'))
      expect([...fake.entries.keys()]).toEqual([`AIRelays Auth\u0000${account}`])
    })

    it('deletes from both places, and still deletes the file when the keychain is unreachable', async () => {
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file')), { mode: 0o600 })
      fake.entries.set(
        `AIRelays Auth\u0000${await accountFor(dataDir)}`,
        JSON.stringify(sampleAuth('keychain')),
      )
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      expect(await store.delete('default')).toBe(true)
      expect(fake.entries.size).toBe(0)
      expect(await readdir(dataDir)).toEqual([])

      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file')), { mode: 0o600 })
      fake.failWith = 'Platform failure'
      expect(await store.delete('default')).toBe(true)
      expect(await readdir(dataDir)).toEqual([])
    })

    it('lists slots from both places', async () => {
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      await store.set('alice-0123456789', sampleAuth('a'))
      await mkdir(join(dataDir, 'accounts', 'bob-abcdef0123'), { recursive: true })
      await writeFile(
        join(dataDir, 'accounts', 'bob-abcdef0123', 'auth.json'),
        JSON.stringify(sampleAuth('b')),
      )
      expect(await store.list()).toEqual(['alice-0123456789', 'bob-abcdef0123'])
      fake.failWith = 'Platform failure'
      expect(await store.list()).toEqual(['bob-abcdef0123'])
    })

    it('does not mask a corrupt keychain entry with the file', async () => {
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file')), { mode: 0o600 })
      fake.entries.set(`AIRelays Auth\u0000${await accountFor(dataDir)}`, 'not json')
      const store = createAuthStore({ dataDir, loadKeyring: async () => fake.module })
      const error = await store.get('default').catch((e: unknown) => e)
      expect((error as { code: string }).code).toBe('auth_entry_corrupt')
    })
  })

  describe('keyring mode', () => {
    it('fails loudly when the keychain is unavailable and never writes a file', async () => {
      const store = createAuthStore({ mode: 'keyring', dataDir, loadKeyring: unloadable })
      expect(store.mode).toBe('keyring')
      for (const attempt of [
        () => store.set('default', sampleAuth('x')),
        () => store.set('alice-0123456789', sampleAuth('x')),
        () => store.update('default', () => sampleAuth('x')),
        () => store.get('default'),
      ]) {
        const error = await attempt().catch((e: unknown) => e)
        expect(isAuthStoreError(error)).toBe(true)
        expect((error as { code: string }).code).toBe('keychain_unavailable')
      }
      await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
    })

    it('ignores an auth.json: the keychain is the only source', async () => {
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'auth.json'), JSON.stringify(sampleAuth('file')), { mode: 0o600 })
      const store = createAuthStore({ mode: 'keyring', dataDir, loadKeyring: async () => fake.module })
      expect(await store.get('default')).toBeNull()
      await store.set('default', sampleAuth('k'))
      expect(await readdir(dataDir)).toEqual(['auth.json'])
    })
  })

  describe('file mode', () => {
    it('never loads the keychain module', async () => {
      let loads = 0
      const store = createAuthStore({
        mode: 'file',
        dataDir,
        loadKeyring: async () => {
          loads++
          return fake.module
        },
      })
      await store.set('default', sampleAuth('f'))
      expect(await store.get('default')).toEqual(sampleAuth('f'))
      await store.list()
      await store.describe()
      expect(loads).toBe(0)
      expect(store.mode).toBe('file')
    })
  })

  it('rejects an unknown mode', () => {
    let error: unknown
    try {
      createAuthStore({ mode: 'plaintext' as 'file', dataDir })
    } catch (e) {
      error = e
    }
    expect((error as { code: string }).code).toBe('invalid_options')
    expect((error as Error).message).toContain('"plaintext"')
  })
})

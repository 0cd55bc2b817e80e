import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, realpath, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeAuthStore, sampleAuth } from '../_conformance'
import {
  commandWorks,
  createFakeKeyring,
  detectRealKeychain,
  type FakeKeyring,
  makeTempDir,
  secretTool,
} from '../_test-helpers'
import { isAuthStoreError } from '../errors'
import { createKeychainAuthStore } from './keychain'

const real = await detectRealKeychain()
if (!real.available) console.warn(`keychain tests skipped: ${real.reason}`)
const hasSecretTool = real.available && commandWorks('sh', ['-c', 'command -v secret-tool'])
if (real.available && !hasSecretTool) {
  console.warn(
    'keychain interop tests with secret-tool skipped: secret-tool (libsecret-tools) is not installed',
  )
}
const python = ['/usr/bin/python3', 'python3'].find((bin) =>
  commandWorks(bin, ['-c', 'import keyring, secretstorage']),
)
if (real.available && python === undefined) {
  console.warn(
    'keychain interop tests with Python keyring skipped: no python3 with the keyring and secretstorage modules (apt python3-keyring)',
  )
}

const uniqueService = (): string => `AIRelays Auth test ${randomBytes(4).toString('hex')}`

function accountFor(resolvedRoot: string): string {
  return `cli|${createHash('sha256').update(resolvedRoot).digest('hex').slice(0, 16)}`
}

// --- conformance -------------------------------------------------------------------------------

describeAuthStore(
  'keychain (real Secret Service)',
  async () => {
    const { dir, cleanup } = await makeTempDir()
    const service = uniqueService()
    const store = createKeychainAuthStore({
      dataDir: join(dir, 'data'),
      service,
      legacyService: `${service} legacy`,
    })
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

describeAuthStore('keychain (injected backend)', async () => {
  const { dir, cleanup } = await makeTempDir()
  const fake = createFakeKeyring()
  return {
    store: createKeychainAuthStore({ dataDir: join(dir, 'data'), loadKeyring: async () => fake.module }),
    cleanup,
  }
})

// --- real Secret Service: format and interoperability with the Python implementation ------------

describe.skipIf(!real.available)('keychain driver against a real Secret Service', () => {
  let dir: string
  let dataDir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir())
    dataDir = join(dir, 'data')
    await mkdir(dataDir)
  })
  afterEach(async () => {
    const store = createKeychainAuthStore({ dataDir })
    for (const slot of await store.list()) await store.delete(slot)
    await cleanup()
  })

  it.skipIf(!hasSecretTool)(
    'stores the JSON payload under service "AIRelays Auth", username cli|<sha256(resolved root)[:16]>',
    async () => {
      const store = createKeychainAuthStore({ dataDir })
      await store.set('default', sampleAuth('fmt'))
      const username = accountFor(await realpath(dataDir))
      const lookup = secretTool(['lookup', 'service', 'AIRelays Auth', 'username', username])
      expect(lookup.status).toBe(0)
      expect(JSON.parse(lookup.stdout)).toEqual(sampleAuth('fmt'))
      expect(await store.describe()).toMatchObject({
        driver: 'keychain',
        keychain: { service: 'AIRelays Auth', account: username },
      })
    },
  )

  it.skipIf(!hasSecretTool)('reads an entry written the way Python keyring writes it', async () => {
    const username = accountFor(await realpath(dataDir))
    const payload = JSON.stringify(sampleAuth('python'))
    const stored = secretTool(
      [
        'store',
        `--label=Password for '${username}' on 'AIRelays Auth'`,
        'application',
        'Python keyring library',
        'service',
        'AIRelays Auth',
        'username',
        username,
      ],
      payload,
    )
    expect(stored.status).toBe(0)
    const store = createKeychainAuthStore({ dataDir })
    expect(await store.get('default')).toEqual(sampleAuth('python'))
    // Saving updates that same item in place (no duplicate the Python side would find ambiguous).
    await store.set('default', sampleAuth('updated'))
    const found = spawnSync(
      'secret-tool',
      ['search', '--all', 'service', 'AIRelays Auth', 'username', username],
      {
        encoding: 'utf8',
      },
    )
    // secret-tool prints items on stdout and their attributes on stderr.
    expect(found.stdout.match(/^\[/gm)?.length).toBe(1)
    expect(found.stderr).toContain('attribute.application = Python keyring library')
    expect(await store.get('default')).toEqual(sampleAuth('updated'))
  })

  it.skipIf(!hasSecretTool)(
    'migrates a legacy "AIRelay Auth" entry: copied to "AIRelays Auth", removed from the old service',
    async () => {
      const slotDir = join(dataDir, 'accounts', 'alice-0123456789')
      await mkdir(slotDir, { recursive: true })
      const username = accountFor(await realpath(slotDir))
      const payload = JSON.stringify(sampleAuth('legacy'))
      const stored = secretTool(
        [
          'store',
          '--label=legacy',
          'application',
          'Python keyring library',
          'service',
          'AIRelay Auth',
          'username',
          username,
        ],
        payload,
      )
      expect(stored.status).toBe(0)
      const store = createKeychainAuthStore({ dataDir })
      expect(await store.list()).toEqual(['alice-0123456789'])
      expect(await store.get('alice-0123456789')).toEqual(sampleAuth('legacy'))
      expect(secretTool(['lookup', 'service', 'AIRelay Auth', 'username', username]).status).not.toBe(0)
      const migrated = secretTool(['lookup', 'service', 'AIRelays Auth', 'username', username])
      expect(migrated.status).toBe(0)
      expect(JSON.parse(migrated.stdout)).toEqual(sampleAuth('legacy'))
    },
  )

  it.skipIf(python === undefined)(
    'interoperates with the Python keyring library in both directions',
    async () => {
      const username = accountFor(await realpath(dataDir))
      const env = { ...process.env, PYTHON_KEYRING_BACKEND: 'keyring.backends.SecretService.Keyring' }
      const py = (code: string, input = '') =>
        spawnSync(python as string, ['-c', code, username], { input, encoding: 'utf8', env, timeout: 20_000 })
      const write = py(
        'import sys, keyring; keyring.set_password("AIRelays Auth", sys.argv[1], sys.stdin.read())',
        JSON.stringify(sampleAuth('from-python')),
      )
      expect(write.stderr).toBe('')
      expect(write.status).toBe(0)
      const store = createKeychainAuthStore({ dataDir })
      expect(await store.get('default')).toEqual(sampleAuth('from-python'))
      await store.set('default', sampleAuth('from-node'))
      const read = py('import sys, keyring; print(keyring.get_password("AIRelays Auth", sys.argv[1]))')
      expect(read.status).toBe(0)
      expect(JSON.parse(read.stdout)).toEqual(sampleAuth('from-node'))
    },
  )
})

describe.skipIf(real.available)(
  'keychain driver with the real module but no reachable Secret Service',
  () => {
    it('loads @napi-rs/keyring lazily and fails with keychain_unavailable, writing nothing', async () => {
      const { dir, cleanup } = await makeTempDir()
      try {
        const dataDir = join(dir, 'data')
        const store = createKeychainAuthStore({ dataDir, timeoutMs: 10_000 })
        const error = await store.set('default', sampleAuth('x')).catch((e: unknown) => e)
        expect(isAuthStoreError(error)).toBe(true)
        expect((error as { code: string }).code).toBe('keychain_unavailable')
        expect((error as { reason: string }).reason).toMatch(/^save: ./)
        expect((error as Error).message).toContain((error as { reason: string }).reason)
        expect(await store.describe()).toMatchObject({ mode: 'keyring', driver: 'keychain', path: null })
        expect(await readdir(dir)).toEqual([])
      } finally {
        await cleanup()
      }
    })
  },
)

// --- driver logic, through an injected backend --------------------------------------------------

describe('createKeychainAuthStore (injected backend)', () => {
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

  it('derives accounts exactly like the Python implementation (sha256 of the resolved path)', async () => {
    const store = createKeychainAuthStore({
      dataDir: '/nonexistent-airelays-test/data',
      loadKeyring: async () => fake.module,
    })
    // Vectors computed with Python: "cli|" + sha256(str(Path(p).resolve()).encode()).hexdigest()[:16]
    expect((await store.describe()).keychain?.account).toBe('cli|729e3f7f8244a53d')
    expect((await store.describe('alice-0123456789')).keychain?.account).toBe('cli|8284d97849a42def')
  })

  it('resolves symlinks before hashing, as Path.resolve() does', async () => {
    await mkdir(dataDir)
    await symlink(dataDir, join(dir, 'link'))
    const viaLink = createKeychainAuthStore({
      dataDir: join(dir, 'link'),
      loadKeyring: async () => fake.module,
    })
    const direct = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    await viaLink.set('default', sampleAuth('link'))
    expect(await direct.get('default')).toEqual(sampleAuth('link'))
  })

  it('loads the keyring module lazily and only once', async () => {
    let loads = 0
    const store = createKeychainAuthStore({
      dataDir,
      loadKeyring: async () => {
        loads++
        return fake.module
      },
    })
    expect(loads).toBe(0)
    await store.get('default')
    await store.set('default', sampleAuth('lazy'))
    await store.list()
    expect(loads).toBe(1)
  })

  it('accepts a module whose classes sit on the default export (CommonJS interop)', async () => {
    const store = createKeychainAuthStore({
      dataDir,
      loadKeyring: async () => ({ default: fake.module }) as unknown as typeof fake.module,
    })
    await store.set('default', sampleAuth('cjs'))
    expect(await store.get('default')).toEqual(sampleAuth('cjs'))
  })

  it('migrates legacy entries on read: copied to the new service, then deleted from the old one', async () => {
    await mkdir(dataDir)
    const account = accountFor(await realpath(dataDir))
    fake.entries.set(`AIRelay Auth\u0000${account}`, JSON.stringify(sampleAuth('old')))
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    expect(await store.list()).toEqual(['default'])
    expect(await store.get('default')).toEqual(sampleAuth('old'))
    expect(fake.entries.has(`AIRelay Auth\u0000${account}`)).toBe(false)
    expect(JSON.parse(fake.entries.get(`AIRelays Auth\u0000${account}`) ?? 'null')).toEqual(sampleAuth('old'))
  })

  it('prefers the new entry over a legacy one, and delete removes both', async () => {
    await mkdir(dataDir)
    const account = accountFor(await realpath(dataDir))
    fake.entries.set(`AIRelay Auth\u0000${account}`, JSON.stringify(sampleAuth('old')))
    fake.entries.set(`AIRelays Auth\u0000${account}`, JSON.stringify(sampleAuth('new')))
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    expect(await store.get('default')).toEqual(sampleAuth('new'))
    expect(await store.delete('default')).toBe(true)
    expect(fake.entries.size).toBe(0)
    expect(await store.get('default')).toBeNull()
  })

  it('keeps the legacy entry and still returns it when the migration cannot write', async () => {
    await mkdir(dataDir)
    const account = accountFor(await realpath(dataDir))
    fake.entries.set(`AIRelay Auth\u0000${account}`, JSON.stringify(sampleAuth('old')))
    fake.failSetOn = 'AIRelays Auth'
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    expect(await store.get('default')).toEqual(sampleAuth('old'))
    expect(fake.entries.has(`AIRelay Auth\u0000${account}`)).toBe(true)
  })

  it('does not migrate when legacyService is null', async () => {
    await mkdir(dataDir)
    const account = accountFor(await realpath(dataDir))
    fake.entries.set(`AIRelay Auth\u0000${account}`, JSON.stringify(sampleAuth('old')))
    const store = createKeychainAuthStore({
      dataDir,
      legacyService: null,
      loadKeyring: async () => fake.module,
    })
    expect(await store.get('default')).toBeNull()
  })

  it('creates the account slot directory so the slot is discoverable, and nothing else', async () => {
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    await store.set('alice-0123456789', sampleAuth('a'))
    expect(await readdir(join(dataDir, 'accounts', 'alice-0123456789'))).toEqual([])
    expect(await readdir(dataDir)).toEqual(['accounts'])
  })

  it('throws auth_entry_corrupt without quoting the entry', async () => {
    await mkdir(dataDir)
    const account = accountFor(await realpath(dataDir))
    fake.entries.set(`AIRelays Auth\u0000${account}`, '{"tokens": "sk-canary-secret"')
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    const error = await store.get('default').catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('auth_entry_corrupt')
    expect((error as Error).message).toContain(account)
    expect((error as Error).message).not.toContain('sk-canary')
  })

  it('fails loudly with keychain_unavailable and writes no file when the module cannot load', async () => {
    const store = createKeychainAuthStore({
      dataDir,
      loadKeyring: async () => {
        throw new Error('Cannot find native binding')
      },
    })
    for (const attempt of [
      () => store.get('default'),
      () => store.set('default', sampleAuth('x')),
      () => store.set('alice-0123456789', sampleAuth('x')),
      () => store.delete('default'),
      () => store.list(),
      () => store.update('default', () => sampleAuth('x')),
    ]) {
      const error = await attempt().catch((e: unknown) => e)
      expect(isAuthStoreError(error)).toBe(true)
      expect((error as { code: string }).code).toBe('keychain_unavailable')
      expect((error as Error).message).toContain('Cannot find native binding')
    }
    await expect(readdir(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await store.describe()).toMatchObject({
      mode: 'keyring',
      driver: 'keychain',
      reason: expect.stringContaining(
        'keychain unavailable: could not load @napi-rs/keyring: Cannot find native binding',
      ),
    })
  })

  it('maps platform errors (no D-Bus session, locked keyring) to keychain_unavailable with the reason', async () => {
    fake.failWith = "Couldn't access platform storage: AccessDenied"
    const store = createKeychainAuthStore({ dataDir, loadKeyring: async () => fake.module })
    const error = await store.set('default', sampleAuth('x')).catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('keychain_unavailable')
    expect((error as { reason: string }).reason).toBe("save: Couldn't access platform storage: AccessDenied")
    expect((error as Error).message).not.toContain('access.x.sig')
    await expect(readdir(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('gives up on a keychain that never answers after timeoutMs', async () => {
    const hanging = {
      AsyncEntry: class {
        getPassword(): Promise<string | null> {
          return new Promise(() => {})
        }
        setPassword(): Promise<void> {
          return new Promise(() => {})
        }
        deletePassword(): Promise<boolean> {
          return new Promise(() => {})
        }
      },
    }
    const store = createKeychainAuthStore({ dataDir, timeoutMs: 50, loadKeyring: async () => hanging })
    const error = await store.get('default').catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('keychain_unavailable')
    expect((error as Error).message).toContain('no answer within')
  })

  it('validates its options', () => {
    const bad = [
      { dataDir: 'relative' },
      { dataDir, service: '' },
      { dataDir, legacyService: 'AIRelays Auth' },
      { dataDir, timeoutMs: 0 },
      { dataDir, loadKeyring: 'nope' },
      { dataDir, lock: { timeoutMs: -1 } },
    ]
    for (const options of bad) {
      let error: unknown
      try {
        createKeychainAuthStore(options as Parameters<typeof createKeychainAuthStore>[0])
      } catch (e) {
        error = e
      }
      expect((error as { code: string }).code).toBe('invalid_options')
    }
  })
})

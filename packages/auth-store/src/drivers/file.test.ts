import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeAuthStore, sampleAuth } from '../_conformance'
import { makeTempDir, permissions } from '../_test-helpers'
import { isAuthStoreError } from '../errors'
import type { AuthStore } from '../types'
import { createFileAuthStore } from './file'

describeAuthStore('file', async () => {
  const { dir, cleanup } = await makeTempDir()
  return { store: createFileAuthStore({ dataDir: join(dir, 'data') }), cleanup }
})

// auth.json exactly as the Python implementation writes it (json.dumps(payload, indent=2)).
const PYTHON_AUTH_JSON = `{
  "bound_account_id": "b1b2c3d4-0000-4000-8000-000000000001",
  "tokens": {
    "id_token": "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImRldkBleGFtcGxlLmNvbSJ9.c2ln",
    "access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzY3AiOlsib3BlbmlkIl19.c2ln",
    "refresh_token": "rt_0123456789abcdef",
    "account_id": "b1b2c3d4-0000-4000-8000-000000000001"
  },
  "last_refresh": "2026-07-30T12:34:56.789012+00:00"
}`

describe('createFileAuthStore', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let dataDir: string
  let store: AuthStore

  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir())
    dataDir = join(dir, 'data')
    store = createFileAuthStore({ dataDir })
  })
  afterEach(async () => {
    await cleanup()
  })

  it('reads a file in the Python implementation format', async () => {
    await mkdir(dataDir, { recursive: true })
    await writeFile(join(dataDir, 'auth.json'), PYTHON_AUTH_JSON, { mode: 0o600 })
    expect(await store.get('default')).toEqual(JSON.parse(PYTHON_AUTH_JSON))
    expect(await store.list()).toEqual(['default'])
  })

  it('reads account slots from <data>/accounts/<slug>/auth.json and ignores dot and invalid directories', async () => {
    for (const name of ['alice-0123456789', '.staging-4242', 'has space']) {
      await mkdir(join(dataDir, 'accounts', name), { recursive: true })
      await writeFile(join(dataDir, 'accounts', name, 'auth.json'), PYTHON_AUTH_JSON, { mode: 0o600 })
    }
    await mkdir(join(dataDir, 'accounts', 'empty-slot'), { recursive: true })
    expect(await store.list()).toEqual(['alice-0123456789'])
    expect(await store.get('alice-0123456789')).toEqual(JSON.parse(PYTHON_AUTH_JSON))
  })

  it('writes pretty JSON in the reference shape and key order, readable by the Python implementation', async () => {
    await store.set('default', sampleAuth('w'))
    const text = await readFile(join(dataDir, 'auth.json'), 'utf8')
    expect(text).toBe(`${JSON.stringify(sampleAuth('w'), null, 2)}\n`)
    expect(Object.keys(JSON.parse(text))).toEqual(['bound_account_id', 'tokens', 'last_refresh'])
    expect(Object.keys(JSON.parse(text).tokens)).toEqual([
      'id_token',
      'access_token',
      'refresh_token',
      'account_id',
    ])
  })

  it('creates the file 0600 and missing directories 0700, leaving no temp files', async () => {
    await store.set('alice-0123456789', sampleAuth('p'))
    const slotDir = join(dataDir, 'accounts', 'alice-0123456789')
    expect(permissions((await stat(join(slotDir, 'auth.json'))).mode)).toBe(0o600)
    expect(permissions((await stat(slotDir)).mode)).toBe(0o700)
    expect(permissions((await stat(join(dataDir, 'accounts'))).mode)).toBe(0o700)
    expect(permissions((await stat(dataDir)).mode)).toBe(0o700)
    expect(await readdir(slotDir)).toEqual(['auth.json'])
  })

  it('narrows a pre-existing 0644 file to 0600 on read', async () => {
    await mkdir(dataDir, { recursive: true })
    const file = join(dataDir, 'auth.json')
    await writeFile(file, PYTHON_AUTH_JSON)
    await chmod(file, 0o644)
    await store.get('default')
    expect(permissions((await stat(file)).mode)).toBe(0o600)
  })

  it('replaces a pre-existing 0644 file with a 0600 one on write', async () => {
    await mkdir(dataDir, { recursive: true })
    const file = join(dataDir, 'auth.json')
    await writeFile(file, PYTHON_AUTH_JSON)
    await chmod(file, 0o644)
    await store.set('default', sampleAuth('x'))
    expect(permissions((await stat(file)).mode)).toBe(0o600)
  })

  it('throws auth_file_corrupt naming the file for malformed JSON, never returning null or quoting content', async () => {
    await mkdir(dataDir, { recursive: true })
    const file = join(dataDir, 'auth.json')
    const cases = [
      '{"bound_account_id": "x", "tokens": {"access_token": "sk-canary-secret',
      '',
      '[]',
      '{"tokens": "sk-canary-secret"}',
      '{"tokens": {"access_token": 12}}',
    ]
    for (const content of cases) {
      await writeFile(file, content)
      const error = await store.get('default').catch((e: unknown) => e)
      expect(isAuthStoreError(error)).toBe(true)
      expect((error as { code: string }).code).toBe('auth_file_corrupt')
      expect((error as Error).message).toContain(file)
      expect((error as Error).message).not.toContain('sk-canary')
      expect((error as { cause?: unknown }).cause).toBeUndefined()
    }
  })

  it('reads missing or null tokens of older files as empty strings', async () => {
    await mkdir(dataDir, { recursive: true })
    await writeFile(
      join(dataDir, 'auth.json'),
      JSON.stringify({
        bound_account_id: 'a',
        tokens: { id_token: 'i', access_token: null, refresh_token: 'r' },
      }),
    )
    expect(await store.get('default')).toEqual({
      bound_account_id: 'a',
      tokens: { id_token: 'i', access_token: '', refresh_token: 'r', account_id: null },
      last_refresh: null,
    })
  })

  it('reports an unreadable path as auth_read_failed', async () => {
    await mkdir(join(dataDir, 'auth.json'), { recursive: true })
    const error = await store.get('default').catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('auth_read_failed')
  })

  it('reports a write into an impossible location as auth_write_failed', async () => {
    await writeFile(join(dir, 'not-a-dir'), 'x')
    const blocked = createFileAuthStore({ dataDir: join(dir, 'not-a-dir', 'data') })
    const error = await blocked.set('default', sampleAuth('x')).catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('auth_write_failed')
    expect((error as Error).message).toContain(join(dir, 'not-a-dir', 'data', 'auth.json'))
  })

  it('describes the auth.json path', async () => {
    expect(await store.describe('alice-0123456789')).toEqual({
      mode: 'file',
      driver: 'file',
      location: join(dataDir, 'accounts', 'alice-0123456789', 'auth.json'),
      slot: 'alice-0123456789',
      path: join(dataDir, 'accounts', 'alice-0123456789', 'auth.json'),
      keychain: null,
    })
  })

  it('rejects a relative or missing dataDir', () => {
    for (const dataDir of ['relative/dir', '', undefined]) {
      let error: unknown
      try {
        createFileAuthStore({ dataDir } as { dataDir: string })
      } catch (e) {
        error = e
      }
      expect((error as { code: string }).code).toBe('invalid_options')
    }
  })
})

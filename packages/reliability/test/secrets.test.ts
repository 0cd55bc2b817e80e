// B11 group K — secrets at rest and in error messages.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createAuthStore,
  isAuthStoreError,
  type KeyringModule,
  readRelayToken,
  writeRelayToken,
} from '@airelays/auth-store'
import { loadConfig, writeConfig } from '@airelays/config'
import { closeAll, eventually, walkFiles } from '@airelays/test-utils'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, JSON_HEADERS, startRelay } from './_harness'
import { frame, responseEvents, startRawUpstream, writeChunks } from './_raw-upstream'

afterEach(closeAll)

const dirs: string[] = []
let emu: UpstreamEmulator | null = null
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  await emu?.close()
  emu = null
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airelays-b11-k-'))
  dirs.push(dir)
  return dir
}

async function storedAuth() {
  emu ??= await createUpstreamEmulator()
  return emu.storedAuth()
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise
  } catch (error) {
    expect(isAuthStoreError(error) ? error.code : String(error)).toBe(code)
    return
  }
  throw new Error(`expected ${code}`)
}

/** A keyring backend whose every call fails, like a locked or absent Secret Service. */
const brokenKeyring: () => Promise<KeyringModule> = async () => ({
  AsyncEntry: class {
    async getPassword(): Promise<string | null> {
      throw new Error('Platform failure: DBus error: no Secret Service')
    }
    async setPassword(): Promise<void> {
      throw new Error('Platform failure: DBus error: no Secret Service')
    }
    async deletePassword(): Promise<boolean> {
      throw new Error('Platform failure: DBus error: no Secret Service')
    }
  } as unknown as KeyringModule['AsyncEntry'],
})

describe('K — secrets', () => {
  describe('K1 secret files: 0600 even over a 0644 file, temp + rename, nothing left on failure', () => {
    it('K1 auth.json', async () => {
      const dataDir = await tempDir()
      const file = join(dataDir, 'auth.json')
      await writeFile(file, `${JSON.stringify(await storedAuth())}\n`, { mode: 0o644 })
      const before = await stat(file)
      const store = createAuthStore({ mode: 'file', dataDir })
      await store.set('default', await storedAuth())
      const after = await stat(file)
      expect(after.mode & 0o777).toBe(0o600)
      expect(after.ino).not.toBe(before.ino)
      expect((await readdir(dataDir)).filter((n) => n !== 'auth.json' && n !== 'auth.json.lock')).toEqual([])
      // A read narrows a group/world-readable file too.
      await writeFile(join(dataDir, 'other.json'), '')
      const second = await tempDir()
      await writeFile(join(second, 'auth.json'), JSON.stringify(await storedAuth()), { mode: 0o644 })
      await createAuthStore({ mode: 'file', dataDir: second }).get('default')
      expect(await mode(join(second, 'auth.json'))).toBe(0o600)
    })

    it('K1 auth.json: a failed write leaves no temp file', async () => {
      const dataDir = await tempDir()
      await mkdir(join(dataDir, 'auth.json'))
      await writeFile(join(dataDir, 'auth.json', 'keep'), 'x')
      const store = createAuthStore({ mode: 'file', dataDir })
      await expectCode(store.set('default', await storedAuth()), 'auth_write_failed')
      expect((await readdir(dataDir)).filter((n) => n.startsWith('.auth.json'))).toEqual([])
    })

    it('K1 relay-token: 0600 over 0644, narrowed on read, no temp file after a failed write', async () => {
      const dir = await tempDir()
      const file = join(dir, 'relay-token')
      await writeFile(file, 'legacy-token-value-0123456789\n', { mode: 0o644 })
      const read = await readRelayToken({ file })
      expect(read.token).toBe('legacy-token-value-0123456789')
      expect(await mode(file)).toBe(0o600)
      await writeFile(file, 'x\n', { mode: 0o644 })
      const { chmod } = await import('node:fs/promises')
      await chmod(file, 0o644)
      const before = await stat(file)
      await writeRelayToken(file, 'replacement-token-value-abcdefgh')
      const after = await stat(file)
      expect(after.mode & 0o777).toBe(0o600)
      expect(after.ino).not.toBe(before.ino)
      const blocked = join(dir, 'as-dir')
      await mkdir(blocked)
      await writeFile(join(blocked, 'keep'), 'x')
      await expectCode(writeRelayToken(blocked, 'another-token-value-abcdefgh'), 'token_write_failed')
      expect((await readdir(dir)).sort()).toEqual(['as-dir', 'relay-token'])
    })

    it('K1 config.toml is written 0600 in a 0700 directory', async () => {
      const dir = await tempDir()
      const { config } = await loadConfig({ env: {}, homeDir: dir, cwd: dir })
      const path = join(dir, 'cfg', 'airelays', 'config.toml')
      await writeConfig(path, config)
      expect(await mode(path)).toBe(0o600)
      expect(await mode(join(dir, 'cfg', 'airelays'))).toBe(0o700)
      expect(await readFile(path, 'utf8')).not.toMatch(/^\s*bearer_token\s*=/m)
    })
  })

  describe('K2 keychain modes', () => {
    it('K2 auto with a failing keychain falls back to the 0600 file and says so', async () => {
      const dataDir = await tempDir()
      const store = createAuthStore({ mode: 'auto', dataDir, loadKeyring: brokenKeyring, timeoutMs: 2000 })
      const auth = await storedAuth()
      await store.set('default', auth)
      expect(await mode(join(dataDir, 'auth.json'))).toBe(0o600)
      const where = await store.describe()
      expect(where.driver).toBe('file')
      expect(where.reason).toMatch(/keychain unavailable/)
      expect(await store.get('default')).toEqual(auth)
    })

    it('K2 auto when the keychain module cannot even load: file, with the reason', async () => {
      const dataDir = await tempDir()
      const store = createAuthStore({
        mode: 'auto',
        dataDir,
        loadKeyring: async () => {
          throw new Error('Cannot find module @napi-rs/keyring-linux-x64-gnu')
        },
      })
      await store.set('default', await storedAuth())
      const where = await store.describe()
      expect(where.driver).toBe('file')
      expect(where.reason).toMatch(/keychain unavailable/)
    })

    it('K2 keyring mode with no keychain fails loudly and never writes a file', async () => {
      const dataDir = await tempDir()
      const store = createAuthStore({ mode: 'keyring', dataDir, loadKeyring: brokenKeyring, timeoutMs: 2000 })
      await expectCode(store.set('default', await storedAuth()), 'keychain_unavailable')
      await expectCode(store.get('default'), 'keychain_unavailable')
      const files = await walkFiles(dataDir)
      expect(files.filter((f) => !f.endsWith('auth.json.lock'))).toEqual([])
      for (const f of files) expect(await readFile(f, 'utf8')).not.toMatch(/access_token|refresh_token/)
    })

    it('K2 the relay reports the configured storage mode in /v1/relay/status', async () => {
      const h = await startRelay()
      const status = await h.status()
      expect(status.relay.auth_storage_mode).toBe('file')
    })
  })

  it('K3 data, log, upload and tmp directories are 0700, their files 0600', async () => {
    const h = await startRelay()
    expect(
      (await h.fetch('/v1/chat/completions', { method: 'POST', headers: JSON_HEADERS, body: chatBody() }))
        .status,
    ).toBe(200)
    const form = new FormData()
    form.append('file', new Blob(['hello world\n'], { type: 'text/plain' }), 'notes.txt')
    expect((await h.fetch('/v1/files', { method: 'POST', body: form })).status).toBe(200)
    const spooled = new FormData()
    spooled.append('file', new Blob(['second file\n'], { type: 'text/plain' }), 'second.txt')
    spooled.append('purpose', 'assistants')
    expect((await h.fetch('/v1/files', { method: 'POST', body: spooled })).status).toBe(200)
    expect(
      (await h.fetch('/v1/conversations', { method: 'POST', headers: JSON_HEADERS, body: '{}' })).status,
    ).toBe(200)
    await eventually(async () => (await h.logLines()).length > 0)
    const { paths } = h.config
    for (const dir of [paths.logs_dir, paths.uploads_dir, paths.tmp_dir])
      expect(await mode(dir), dir).toBe(0o700)
    const files = await walkFiles(h.dataDir)
    expect(files.some((f) => f.startsWith(paths.logs_dir))).toBe(true)
    expect(files.some((f) => f.startsWith(paths.uploads_dir))).toBe(true)
    for (const file of files) expect(await mode(file), file).toBe(0o600)
    const seen = new Set<string>()
    for (const file of files) {
      let dir = join(file, '..')
      while (dir.startsWith(h.dataDir) && dir !== h.dataDir && !seen.has(dir)) {
        seen.add(dir)
        expect(await mode(dir), dir).toBe(0o700)
        dir = join(dir, '..')
      }
    }
  })

  describe('K4 error text returned to clients carries no secret and no stack trace', () => {
    const stackLike = /\n\s+at |\bat [\w.<>]+ \(|node:internal|\/src\/|\.ts:\d+/

    it('K4 corrupt credentials: a clean error, no file content, no stack', async () => {
      const h = await startRelay({ login: false })
      const canary = `sk-canary-${'9'.repeat(24)}`
      await writeFile(join(h.dataDir, 'auth.json'), `{"tokens": {"access_token": "${canary}"`, {
        mode: 0o600,
      })
      for (const path of ['/v1/chat/completions', '/v1/models', '/v1/subscription/status']) {
        const res = await h.fetch(path, {
          method: path.includes('chat') ? 'POST' : 'GET',
          headers: JSON_HEADERS,
          ...(path.includes('chat') ? { body: chatBody() } : {}),
        })
        const text = await res.text()
        expect(res.status, path).toBeGreaterThanOrEqual(400)
        expect(text).not.toContain(canary)
        expect(text).not.toMatch(stackLike)
        expect(JSON.parse(text)).toHaveProperty('error.message')
      }
    })

    it('K4 an upstream error page with a stack trace and a token is not passed through', async () => {
      const h = await startRelay({ env: { AIRELAYS_OPENAI_RETRY_ATTEMPTS: '0' } })
      const auth = JSON.parse(await readFile(join(h.dataDir, 'auth.json'), 'utf8')) as {
        tokens: { access_token: string }
      }
      const token = auth.tokens.access_token
      h.emu.script({
        kind: 'http_error',
        status: 500,
        body: `<!doctype html><html><body><pre>Traceback (most recent call last):\n  File "/srv/app.py", line 1, in handler\nAuthorization: Bearer ${token}</pre></body></html>`,
        headers: { 'content-type': 'text/html' },
      })
      const res = await h.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: JSON_HEADERS,
        body: chatBody(),
      })
      expect(res.status).toBe(502)
      const text = await res.text()
      expect(text).not.toContain(token)
      expect(text).not.toMatch(/Traceback|<html|<pre>/i)
    })

    it.each([
      ['a 400 invalid_request_error', 400],
      ['a 500 server_error', 500],
    ])(
      'K4 an upstream error message quoting the access token (%s) does not reach the client',
      async (_name, status) => {
        const h = await startRelay({ env: { AIRELAYS_OPENAI_RETRY_ATTEMPTS: '0' } })
        const auth = JSON.parse(await readFile(join(h.dataDir, 'auth.json'), 'utf8')) as {
          tokens: { access_token: string; refresh_token: string }
        }
        const { access_token: token, refresh_token: refresh } = auth.tokens
        h.emu.script({
          kind: 'http_error',
          status,
          body: {
            error: {
              message: `Token ${token} (refresh ${refresh}) is not allowed here.`,
              type: status === 400 ? 'invalid_request_error' : 'server_error',
              param: null,
              code: status === 400 ? 'invalid_value' : 'server_error',
            },
          },
        })
        const res = await h.fetch('/v1/chat/completions', {
          method: 'POST',
          headers: JSON_HEADERS,
          body: chatBody(),
        })
        expect(res.status).toBeGreaterThanOrEqual(400)
        const text = await res.text()
        expect(text).not.toContain(token)
        expect(text).not.toContain(refresh)
      },
    )

    it('K4 an in-band stream error quoting the access token does not reach the client', async () => {
      let token = ''
      const upstream = await startRawUpstream(async (_req, res) => {
        const events = responseEvents(['Hello'])
        await writeChunks(res, [
          ...events.slice(0, 5).map((e) => frame(e)),
          frame({ type: 'error', code: 'server_error', message: `Bad credential ${token}`, param: null }),
        ])
      })
      try {
        const h = await startRelay({ upstreamBaseUrl: upstream.backendUrl })
        token = (
          JSON.parse(await readFile(join(h.dataDir, 'auth.json'), 'utf8')) as {
            tokens: { access_token: string }
          }
        ).tokens.access_token
        for (const path of ['/v1/chat/completions', '/v1/responses']) {
          const body =
            path === '/v1/responses'
              ? JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true })
              : chatBody('hi', { stream: true })
          const res = await h.fetch(path, { method: 'POST', headers: JSON_HEADERS, body })
          expect(res.status).toBe(200)
          const text = await res.text()
          expect(text).toContain('Bad credential')
          expect(text, path).not.toContain(token)
        }
      } finally {
        await closeAll()
        await upstream.close()
      }
    })
  })
})

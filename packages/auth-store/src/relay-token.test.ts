import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTempDir, permissions } from './_test-helpers'
import { isAuthStoreError } from './errors'
import {
  generateRelayToken,
  isWeakRelayToken,
  readRelayToken,
  rotateRelayToken,
  tokenFingerprint,
  writeRelayToken,
} from './relay-token'

describe('relay token', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let file: string
  beforeEach(async () => {
    ;({ dir, cleanup } = await makeTempDir())
    file = join(dir, 'data', 'relay-token')
  })
  afterEach(async () => {
    await cleanup()
  })

  it('generates 43-character base64url tokens from 32 random bytes, all distinct', () => {
    const tokens = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const token = generateRelayToken()
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(token, 'base64url')).toHaveLength(32)
      tokens.add(token)
    }
    expect(tokens.size).toBe(1000)
  })

  it('fingerprints with the first 12 hex characters of sha256', () => {
    expect(tokenFingerprint('abc')).toBe('ba7816bf8f01')
    const token = generateRelayToken()
    expect(tokenFingerprint(token)).toBe(createHash('sha256').update(token).digest('hex').slice(0, 12))
  })

  it('writes the token plus a newline, mode 0600, parent 0700, no temp file left', async () => {
    const token = generateRelayToken()
    await writeRelayToken(file, token)
    expect(await readFile(file, 'utf8')).toBe(`${token}\n`)
    expect(permissions((await stat(file)).mode)).toBe(0o600)
    expect(permissions((await stat(join(dir, 'data'))).mode)).toBe(0o700)
    expect(await readdir(join(dir, 'data'))).toEqual(['relay-token'])
  })

  it('replaces an existing 0644 token file with a 0600 one', async () => {
    await mkdir(join(dir, 'data'))
    await writeFile(file, 'old-token\n')
    await chmod(file, 0o644)
    await writeRelayToken(file, generateRelayToken())
    expect(permissions((await stat(file)).mode)).toBe(0o600)
  })

  it('reads the first non-empty trimmed line of the file', async () => {
    await mkdir(join(dir, 'data'))
    await writeFile(file, '\n   \n  tok_from_file-123  \r\nsecond-line\n', { mode: 0o600 })
    expect(await readRelayToken({ file })).toEqual({
      token: 'tok_from_file-123',
      source: 'file',
      file,
      fingerprint: tokenFingerprint('tok_from_file-123'),
    })
  })

  it('narrows a group-readable token file to 0600 when reading it', async () => {
    await mkdir(join(dir, 'data'))
    await writeFile(file, 'tok\n')
    await chmod(file, 0o640)
    await readRelayToken({ file })
    expect(permissions((await stat(file)).mode)).toBe(0o600)
  })

  it('lets AIRELAYS_BEARER_TOKEN beat AIRELAY_BEARER_TOKEN beat the file', async () => {
    await writeRelayToken(file, 'file-token')
    expect(
      await readRelayToken({
        file,
        env: { AIRELAYS_BEARER_TOKEN: ' env-new ', AIRELAY_BEARER_TOKEN: 'env-old' },
      }),
    ).toEqual({ token: 'env-new', source: 'env', file, fingerprint: tokenFingerprint('env-new') })
    expect((await readRelayToken({ file, env: { AIRELAY_BEARER_TOKEN: 'env-old' } })).token).toBe('env-old')
    expect((await readRelayToken({ file, env: {} })).source).toBe('file')
  })

  it('treats empty or blank environment values as unset', async () => {
    await writeRelayToken(file, 'file-token')
    const info = await readRelayToken({
      file,
      env: { AIRELAYS_BEARER_TOKEN: '', AIRELAY_BEARER_TOKEN: '   ' },
    })
    expect(info).toMatchObject({ token: 'file-token', source: 'file' })
  })

  it('reports no token for a missing, empty or blank file, or no file at all', async () => {
    const none = { token: null, source: null, fingerprint: null }
    expect(await readRelayToken({ file })).toEqual({ ...none, file })
    await mkdir(join(dir, 'data'))
    await writeFile(file, '')
    expect(await readRelayToken({ file })).toEqual({ ...none, file })
    await writeFile(file, ' \n\t\n')
    expect(await readRelayToken({ file })).toEqual({ ...none, file })
    expect(await readRelayToken()).toEqual({ ...none, file: null })
  })

  it('fails with token_read_failed for an unreadable path', async () => {
    await mkdir(file, { recursive: true })
    const error = await readRelayToken({ file }).catch((e: unknown) => e)
    expect(isAuthStoreError(error)).toBe(true)
    expect((error as { code: string }).code).toBe('token_read_failed')
    expect((error as Error).message).toContain(file)
  })

  it('rotates: new token and fingerprint, written to the file', async () => {
    await writeRelayToken(file, 'first-token-value')
    const before = await readRelayToken({ file })
    const rotated = await rotateRelayToken(file)
    expect(rotated.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(rotated.token).not.toBe(before.token)
    expect(rotated.fingerprint).toBe(tokenFingerprint(rotated.token))
    expect(rotated.fingerprint).not.toBe(before.fingerprint)
    expect(rotated.file).toBe(file)
    expect(await readRelayToken({ file })).toMatchObject({ token: rotated.token, source: 'file' })
    expect(permissions((await stat(file)).mode)).toBe(0o600)
  })

  it('refuses tokens that are empty or not printable ASCII, without echoing them', async () => {
    for (const bad of ['', 'has space', 'line\nbreak-secret', 'tab\tsecret', 'ünïcode', 'x'.repeat(4097)]) {
      const error = await writeRelayToken(file, bad).catch((e: unknown) => e)
      expect((error as { code: string }).code).toBe('token_invalid')
      if (bad.length > 0) expect((error as Error).message).not.toContain(bad)
    }
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('reports a failed write as token_write_failed', async () => {
    await mkdir(join(dir, 'data'))
    await writeFile(join(dir, 'data', 'blocker'), 'x')
    const error = await writeRelayToken(join(dir, 'data', 'blocker', 'relay-token'), 'abc').catch(
      (e: unknown) => e,
    )
    expect((error as { code: string }).code).toBe('token_write_failed')
  })

  describe('isWeakRelayToken', () => {
    it('never flags generated tokens', () => {
      for (let i = 0; i < 2000; i++) expect(isWeakRelayToken(generateRelayToken())).toBe(false)
    })

    it('accepts other strong formats', () => {
      expect(isWeakRelayToken('3f9a0c1b7e2d4c6a8b0e1f2a3c4d5e6f')).toBe(false) // 128-bit hex (openssl rand -hex 16)
      expect(isWeakRelayToken('9c2e7a41d0b35f68e1a47c9d2b0f3e56a8c1d4f7b2e05a93c6d8f1e4a7b0c3d2')).toBe(false)
      expect(isWeakRelayToken('Zq4Tr9Lm2Xv7Kc1Wp8Nb5Hy3Gd6')).toBe(false)
    })

    it('flags short, low-variety and sequential tokens', () => {
      for (const weak of [
        '',
        'secret',
        'changeme',
        'abcDEF123456789012345', // 21 characters
        'password1234567890123', // short alphanumerics
        'a'.repeat(64),
        'abababababababababababababababab',
        'abcdefghijklmnopqrstuvwxyzabcdefghijklmnop',
        '12345678901234567890123456789012345', // digits only: ~116 bits
        'passwordpasswordpasswordpassword',
      ]) {
        expect(isWeakRelayToken(weak), weak).toBe(true)
      }
    })
  })
})

import { chmod, lstat, readdir, readFile, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CONFIG_RELATIVE, createTestHome, type TestHome } from './_internal/test-home'
import { isConfigError } from './errors'
import { loadConfig } from './load'
import { updateConfig } from './update'

let home: TestHome
beforeEach(async () => {
  home = await createTestHome()
})
afterEach(async () => {
  await home.remove()
})

const load = async () => {
  const result = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
  expect(result.errors).toEqual([])
  expect(result.warnings).toEqual([])
  return result
}
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isConfigError(error), String(error)).toBe(true)
  return (error as { code: string }).code
}

const COMMENTED = `# My relay settings (hand-written).
[server]
port = 9000 # not 8080: taken by another app

[logging]
# retention_days = 5   <- tried this, too short
stream_lines = false
retention_days = 30 # the default

# Upstream tweaks below.
[providers.openai]
extra_models = [
  "gpt-5.5", # main
  "gpt-5.4",
]
`

describe('updateConfig', () => {
  it('replaces a value in its section, keeping comments, order and a commented-out copy', async () => {
    const path = await home.write(CONFIG_RELATIVE, COMMENTED)
    const result = await updateConfig(path, { 'logging.retention_days': 7 })
    expect(result).toEqual({
      path,
      created: false,
      changed: ['logging.retention_days'],
      values: { 'logging.retention_days': 7 },
    })
    expect(await readFile(path, 'utf8')).toBe(
      COMMENTED.replace('retention_days = 30 # the default', 'retention_days = 7 # the default'),
    )
    const { config, sources } = await load()
    expect(config.logging.retention_days).toBe(7)
    expect(config.server.port).toBe(9000)
    expect(sources['logging.retention_days']).toMatchObject({ kind: 'file', line: 8 })
  })

  it('adds a missing key after the last key of its section, and a missing section at the end', async () => {
    const path = await home.write(CONFIG_RELATIVE, COMMENTED)
    await updateConfig(path, { 'logging.max_total_bytes': 5_000_000, 'auth.storage': 'file' })
    const text = await readFile(path, 'utf8')
    expect(text).toBe(
      `${COMMENTED.replace(
        'retention_days = 30 # the default\n',
        'retention_days = 30 # the default\nmax_total_bytes = 5000000\n',
      )}\n[auth]\nstorage = "file"\n`,
    )
    const { config } = await load()
    expect(config.logging.max_total_bytes).toBe(5_000_000)
    expect(config.auth.storage).toBe('file')
    expect(config.providers.openai.extra_models).toEqual(['gpt-5.5', 'gpt-5.4'])
  })

  it('replaces a multi-line array and a value next to an inline table', async () => {
    const original = `[providers.openai]\nextra_models = [\n  "a", # x\n  "b",\n] # keep me\nretry_backoff_seconds = [1, 2]\n\n[unknown]\nx = { a = 1, b = [1, 2] }\n`
    const path = await home.write(CONFIG_RELATIVE, original)
    await updateConfig(path, {
      'providers.openai.extra_models': ['gpt-5.5'],
      'providers.openai.retry_backoff_seconds': [3],
    })
    expect(await readFile(path, 'utf8')).toBe(
      `[providers.openai]\nextra_models = ["gpt-5.5"] # keep me\nretry_backoff_seconds = [3]\n\n[unknown]\nx = { a = 1, b = [1, 2] }\n`,
    )
    const result = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
    expect(result.errors).toEqual([])
    expect(result.config.providers.openai.extra_models).toEqual(['gpt-5.5'])
    expect(result.config.providers.openai.retry_backoff_seconds).toEqual([3])
  })

  it('keeps CRLF line endings and a file without a final newline', async () => {
    const path = await home.write(CONFIG_RELATIVE, '# hi\r\n[logging]\r\nstream_lines = true')
    await updateConfig(path, { 'logging.retention_days': 3, 'server.port': 9100 })
    expect(await readFile(path, 'utf8')).toBe(
      '# hi\r\n[logging]\r\nstream_lines = true\r\nretention_days = 3\r\n\r\n[server]\r\nport = 9100\r\n',
    )
    const { config } = await load()
    expect(config.logging).toMatchObject({ retention_days: 3, stream_lines: true })
    expect(config.server.port).toBe(9100)
  })

  it('edits dotted keys where they are, and refuses a section written as an inline table', async () => {
    const path = await home.write(CONFIG_RELATIVE, 'logging.stream_lines = true\nserver = { port = 9000 }\n')
    await updateConfig(path, { 'logging.retention_days': 9 })
    expect(await readFile(path, 'utf8')).toBe(
      'logging.stream_lines = true\nlogging.retention_days = 9\nserver = { port = 9000 }\n',
    )
    expect((await load()).config.logging.retention_days).toBe(9)
    expect(await codeOf(updateConfig(path, { 'server.port': 9001 }))).toBe('config_edit_unsupported')
    expect(await readFile(path, 'utf8')).toContain('server = { port = 9000 }')
  })

  it('creates a missing file with mode 0600 in a 0700 directory', async () => {
    const path = join(home.dir, 'new/dir/config.toml')
    const result = await updateConfig(path, { 'logging.retention_days': 0 })
    expect(result.created).toBe(true)
    expect(await readFile(path, 'utf8')).toBe('[logging]\nretention_days = 0\n')
    expect(await mode(path)).toBe(0o600)
    expect(await mode(join(home.dir, 'new/dir'))).toBe(0o700)
    expect(
      await codeOf(updateConfig(join(home.dir, 'none.toml'), { 'server.port': 1 }, { create: false })),
    ).toBe('config_missing')
  })

  it('keeps the mode of an existing file, follows a symlink and leaves no temp file', async () => {
    const real = await home.write('real/config.toml', '[logging]\nretention_days = 1\n')
    await chmod(real, 0o640)
    const link = join(home.dir, 'link.toml')
    await symlink(real, link)
    const result = await updateConfig(link, { 'logging.retention_days': 2 })
    expect(result.path).toBe(real)
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(real, 'utf8')).toBe('[logging]\nretention_days = 2\n')
    expect(await mode(real)).toBe(0o640)
    expect(await readdir(join(home.dir, 'real'))).toEqual(['config.toml'])
  })

  it('validates every value like loadConfig and writes nothing when one is wrong', async () => {
    const path = await home.write(CONFIG_RELATIVE, COMMENTED)
    const cases: [Record<string, unknown>, string][] = [
      [{ 'logging.retention_days': -1 }, 'config_invalid_value'],
      [{ 'logging.retention_days': 1.5 }, 'config_invalid_value'],
      [{ 'logging.retention_days': 3, 'server.port': 'x' }, 'config_invalid_value'],
      [{ 'logging.nope': 1 }, 'config_unknown_key'],
      [{ 'security.bearer_token': 'secret' }, 'config_unknown_key'],
    ]
    for (const [updates, code] of cases) {
      expect(await codeOf(updateConfig(path, updates as never)), JSON.stringify(updates)).toBe(code)
    }
    expect(await readFile(path, 'utf8')).toBe(COMMENTED)
  })

  it('refuses to touch a file that is not valid TOML', async () => {
    const path = await home.write(CONFIG_RELATIVE, '[logging\nretention_days = 1\n')
    expect(await codeOf(updateConfig(path, { 'logging.retention_days': 2 }))).toBe('config_parse_failed')
    expect(await readFile(path, 'utf8')).toBe('[logging\nretention_days = 1\n')
  })

  it('reports config_write_failed when the directory cannot be written', async () => {
    const dir = await home.mkdir('locked')
    const path = await home.write('locked/config.toml', '[logging]\nretention_days = 1\n')
    await chmod(dir, 0o500)
    try {
      if (process.getuid?.() === 0) return // root writes anyway
      expect(await codeOf(updateConfig(path, { 'logging.retention_days': 2 }))).toBe('config_write_failed')
    } finally {
      await chmod(dir, 0o700)
    }
  })
})

// The TOML parser is loaded only when a config file is read (`airelays status` without a config
// file, settings from the environment, never pays for it). Its own file: the mock is module-wide.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CONFIG_RELATIVE, createTestHome, type TestHome } from './_internal/test-home'

const loaded = vi.hoisted(() => ({ count: 0 }))
vi.mock('smol-toml', async (importOriginal) => {
  loaded.count++
  return await importOriginal<typeof import('smol-toml')>()
})

let home: TestHome
beforeEach(async () => {
  home = await createTestHome()
})
afterEach(async () => {
  await home.remove()
})

describe('smol-toml is loaded on demand', () => {
  it('is not loaded by importing the package or loading settings without a config file', async () => {
    const { loadConfig } = await import('./index')
    const result = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: { AIRELAYS_PORT: '9000' } })
    expect(result.config.config_file.exists).toBe(false)
    expect(result.config.server.port).toBe(9000)
    expect(loaded.count).toBe(0)
  })

  it('is loaded, once, when a config file is read', async () => {
    await home.write(CONFIG_RELATIVE, '[server]\nport = 9100\n')
    const { loadConfig } = await import('./index')
    const first = await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
    await loadConfig({ homeDir: home.dir, cwd: home.dir, env: {} })
    expect(first.config.server.port).toBe(9100)
    expect(loaded.count).toBe(1)
  })
})

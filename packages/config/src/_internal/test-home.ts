// Test helper (not exported from the package): a real temporary home directory per test.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface TestHome {
  /** Absolute path of the temporary home directory. */
  dir: string
  /** Write a file relative to the home directory (parents created). Returns its absolute path. */
  write(relative: string, content: string): Promise<string>
  /** Create a directory relative to the home directory. Returns its absolute path. */
  mkdir(relative: string): Promise<string>
  /** Replace the home path by `<home>` everywhere in a JSON-able value, for snapshots. */
  redact(value: unknown): unknown
  remove(): Promise<void>
}

export async function createTestHome(): Promise<TestHome> {
  const dir = await mkdtemp(join(tmpdir(), 'airelays-config-'))
  return {
    dir,
    async write(relative: string, content: string): Promise<string> {
      const path = join(dir, relative)
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, content)
      return path
    },
    async mkdir(relative: string): Promise<string> {
      const path = join(dir, relative)
      await mkdir(path, { recursive: true })
      return path
    },
    redact(value: unknown): unknown {
      return JSON.parse(JSON.stringify(value).replaceAll(dir, '<home>'))
    },
    async remove(): Promise<void> {
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The config path loadConfig picks by default inside a test home. */
export const CONFIG_RELATIVE = '.config/airelays/config.toml'

import { randomBytes } from 'node:crypto'
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { keyLabel } from './_internal/issues'
import { getConfigValue, isResolvedValue, renderTomlValue } from './_internal/values'
import { ConfigError, isConfigError } from './errors'
import { configKeys, configSections } from './keys'
import type { ConfigValue, ResolvedConfig } from './types'

const HEADER = [
  '# AIRelays configuration.',
  '# Precedence for every key: CLI flags > AIRELAYS_* environment > legacy AIRELAY_* / OPENAI_ENDPOINT_*',
  '# environment > this file > built-in defaults.',
  '# The relay token is never stored here: it lives in bearer_token_file (or AIRELAYS_BEARER_TOKEN).',
]

/**
 * Render a resolved config as config.toml text: the reference's section and key order, one short
 * comment per key. Environment-only settings (the relay token) are never rendered.
 * @throws ConfigError `config_invalid_value` when a value could not have come from `loadConfig`.
 */
export function renderConfig(config: ResolvedConfig): string {
  const out = [...HEADER]
  for (const section of configSections) {
    out.push('', `[${section}]`)
    for (const def of configKeys) {
      if (def.section !== section || !def.inFile) continue
      const value = getConfigValue(config, def)
      if (!isResolvedValue(def.type, value)) {
        throw new ConfigError(
          'config_invalid_value',
          `Cannot render ${keyLabel(def)}: ${JSON.stringify(value) ?? String(value)} is not a valid value.`,
        )
      }
      out.push(`# ${def.description}`, `${def.key} = ${renderTomlValue(def.type, value as ConfigValue)}`)
    }
  }
  return `${out.join('\n')}\n`
}

/** Options of `writeConfig`. */
export interface WriteConfigOptions {
  /**
   * Replace an existing file. Without it an existing file is kept and `config_exists` is thrown.
   * @default false
   */
  force?: boolean
}

/** Result of `writeConfig`. */
export interface WriteConfigResult {
  /** Absolute path of the written file. */
  path: string
  /** True when no file existed there before. */
  created: boolean
}

async function existsNoFollow(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

function existsError(path: string): ConfigError {
  return new ConfigError(
    'config_exists',
    `The config file ${path} already exists; it was kept. Use --force to replace it.`,
    { path },
  )
}

/**
 * Write `renderConfig(config)` to `path`: parent directories are created with mode 0700, the file
 * is written to a temp file with mode 0600 and moved into place, so readers never see half a file.
 * @throws ConfigError `config_exists` (file present, no `force`), `config_write_failed` (I/O, with `cause`),
 *   `config_invalid_value` (see `renderConfig`).
 */
export async function writeConfig(
  path: string,
  config: ResolvedConfig,
  options: WriteConfigOptions = {},
): Promise<WriteConfigResult> {
  const target = resolve(path)
  const text = renderConfig(config)
  const dir = dirname(target)
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  let tmpCreated = false
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const existed = await existsNoFollow(target)
    if (existed && !options.force) throw existsError(target)
    const handle = await open(tmp, 'wx', 0o600)
    tmpCreated = true
    try {
      await handle.writeFile(text, 'utf8')
      await handle.chmod(0o600)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.force) {
      await rename(tmp, target)
      tmpCreated = false
      return { path: target, created: !existed }
    }
    // link() refuses to replace a file that appeared meanwhile; fall back to rename where the
    // filesystem has no hard links.
    try {
      await link(tmp, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw existsError(target)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
      if (await existsNoFollow(target)) throw existsError(target)
      await rename(tmp, target)
      tmpCreated = false
      return { path: target, created: true }
    }
    return { path: target, created: true }
  } catch (error) {
    if (isConfigError(error)) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(
      'config_write_failed',
      `Cannot write the config file ${target}${code ? ` (${code})` : ''}: ${(error as Error).message}`,
      { path: target, cause: error },
    )
  } finally {
    if (tmpCreated) await unlink(tmp).catch(() => undefined)
  }
}

import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { keyLabel } from './_internal/issues'
import { scanTomlLayout, type TomlLayout } from './_internal/toml-lines'
import { describeAccepted, describeRaw, parseFileValue, renderTomlValue } from './_internal/values'
import { ConfigError, isConfigError } from './errors'
import { type ConfigKeyDefinition, configKeys } from './keys'
import type { ConfigKeyPath, ConfigValue } from './types'

/** Options of `updateConfig`. */
export interface UpdateConfigOptions {
  /**
   * Create the file (mode 0600, parent directories 0700) when it does not exist. Without it a
   * missing file throws `config_missing`.
   * @default true
   */
  create?: boolean
}

/** Result of `updateConfig`. */
export interface UpdateConfigResult {
  /** Absolute path of the written file (the symlink's target when `path` is a symlink). */
  path: string
  /** True when no file existed there before. */
  created: boolean
  /** The keys whose text changed, in the order given. */
  changed: ConfigKeyPath[]
  /** The values written, normalised as `loadConfig` reads them back. */
  values: Partial<Record<ConfigKeyPath, ConfigValue>>
}

const KEYS: ReadonlyMap<string, ConfigKeyDefinition> = new Map(configKeys.map((def) => [def.path, def]))
const sameParts = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((part, k) => part === b[k])
const startsWith = (whole: readonly string[], prefix: readonly string[]): boolean =>
  whole.length >= prefix.length && prefix.every((part, k) => part === whole[k])
const BARE = /^[A-Za-z0-9_-]+$/
const keyText = (parts: readonly string[]): string =>
  parts.map((part) => (BARE.test(part) ? part : JSON.stringify(part))).join('.')

function checkUpdate(
  path: string,
  raw: unknown,
  file: string,
): { def: ConfigKeyDefinition; value: ConfigValue } {
  const def = KEYS.get(path)
  if (!def?.inFile) {
    throw new ConfigError(
      'config_unknown_key',
      def
        ? `${keyLabel(def)} is read only from ${def.env.join(', ')}; it is never written to config.toml.`
        : `Unknown config key ${JSON.stringify(path)}; expected <section>.<key>, e.g. logging.retention_days.`,
      { path: file },
    )
  }
  const parsed = parseFileValue(def.type, raw)
  if (!parsed.ok || parsed.note === 'clamped' || parsed.note === 'empty') {
    throw new ConfigError(
      'config_invalid_value',
      `Invalid ${keyLabel(def)} value ${describeRaw(raw)}: expected ${describeAccepted(def.type, 'file')}.`,
      { path: file },
    )
  }
  return { def, value: parsed.value }
}

/** Apply one key to the text; returns the new text (unchanged when the value already reads the same). */
function applyOne(text: string, def: ConfigKeyDefinition, literal: string, file: string): string {
  const layout: TomlLayout = scanTomlLayout(text)
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const section = def.section.split('.')
  const target = [...section, def.key]
  const full = (entry: TomlLayout['entries'][number]) => [...entry.table, ...entry.key]
  const existing = layout.entries.find((entry) => sameParts(full(entry), target))
  if (existing) {
    return text.slice(0, existing.valueStart) + literal + text.slice(existing.valueEnd)
  }
  // The section or the key written as (part of) an inline table cannot be edited line by line.
  const inline = layout.entries.find((entry) => {
    const path = full(entry)
    return path.length < target.length && startsWith(target, path)
  })
  if (inline) {
    throw new ConfigError(
      'config_edit_unsupported',
      `Cannot change ${keyLabel(def)} in ${file}: [${def.section}] is written as an inline table (${keyText(full(inline))} = {...}). Move it to a [${def.section}] section, or edit the file by hand.`,
      { path: file },
    )
  }
  const header = layout.tables.find((table) => sameParts(table.table, section))
  const inSection = layout.entries.filter((entry) =>
    header
      ? sameParts(entry.table, section)
      : startsWith(full(entry), section) && entry.table.length < section.length,
  )
  const last = inSection[inSection.length - 1]
  if (header || last) {
    // After the section's last statement (or its header): comments before the next header stay theirs.
    const at = Math.max(header?.lineEnd ?? -1, last?.lineEnd ?? -1)
    const table = header ? section : (last as TomlLayout['entries'][number]).table
    const line = `${keyText(target.slice(table.length))} = ${literal}`
    return `${text.slice(0, at)}${eol}${line}${text.slice(at)}`
  }
  const body = `[${keyText(section)}]${eol}${def.key} = ${literal}${eol}`
  if (text.trim() === '') return text.startsWith('\uFEFF') ? `\uFEFF${body}` : body
  const ending = text.endsWith('\n') ? '' : eol
  return `${text}${ending}${eol}${body}`
}

async function readExisting(target: string): Promise<{ path: string; text: string | null; mode: number }> {
  try {
    const real = await realpath(target)
    const [text, info] = await Promise.all([readFile(real, 'utf8'), stat(real)])
    return { path: real, text, mode: info.mode & 0o777 }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { path: target, text: null, mode: 0o600 }
    throw error
  }
}

async function writeAtomically(target: string, text: string, mode: number): Promise<void> {
  const dir = dirname(target)
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  let tmpCreated = false
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const handle = await open(tmp, 'wx', 0o600)
    tmpCreated = true
    try {
      await handle.writeFile(text, 'utf8')
      await handle.chmod(mode)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, target)
    tmpCreated = false
  } finally {
    if (tmpCreated) await unlink(tmp).catch(() => undefined)
  }
}

/**
 * Change some keys of a config.toml in place, keeping everything else as written: comments, key
 * order, unrelated keys, blank lines, line endings. An existing `key = value` line of the key's
 * `[section]` gets the new value (a trailing comment stays); a missing key is added after the last
 * key of its section; a missing section is added at the end; a missing file is created (mode 0600,
 * parent directories 0700). Values are checked with the same key definitions as `loadConfig` and
 * nothing is written unless all of them are valid. The file is replaced atomically (a temp file,
 * then a rename), keeping its mode; a symlink is followed and its target updated.
 * @param updates Values keyed by dotted path, as `loadConfig` would read them from the file, e.g.
 *   `{ 'logging.retention_days': 7 }`.
 * @throws ConfigError `config_unknown_key` (not a config.toml key), `config_invalid_value` (a value
 *   `loadConfig` would reject or clamp), `config_parse_failed` (the existing file is not valid TOML;
 *   it is kept), `config_edit_unsupported` (the section is an inline table), `config_missing`
 *   (no file and `create: false`), `config_write_failed` (I/O, with `cause`).
 */
export async function updateConfig(
  path: string,
  updates: Readonly<Partial<Record<ConfigKeyPath, unknown>>>,
  options: UpdateConfigOptions = {},
): Promise<UpdateConfigResult> {
  let target = resolve(path)
  const checked = Object.entries(updates)
    .filter(([, raw]) => raw !== undefined)
    .map(([key, raw]) => ({ ...checkUpdate(key, raw, target), raw }))
  let existing: Awaited<ReturnType<typeof readExisting>>
  try {
    existing = await readExisting(target)
  } catch (error) {
    throw writeFailed(target, error, 'read')
  }
  target = existing.path
  if (existing.text === null && options.create === false) {
    throw new ConfigError('config_missing', `The config file ${target} does not exist.`, { path: target })
  }
  const original = existing.text ?? ''
  // loaded on use, like in loadConfig: importing the package must not load the TOML parser
  const { parse } = await import('smol-toml')
  const parseable = (text: string): Record<string, unknown> | null => {
    try {
      return parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as Record<string, unknown>
    } catch {
      return null
    }
  }
  if (parseable(original) === null) {
    throw new ConfigError(
      'config_parse_failed',
      `Cannot change ${target}: it is not valid TOML (see \`airelays doctor\`). It was kept as it is.`,
      { path: target },
    )
  }
  let text = original
  const changed: ConfigKeyPath[] = []
  const values: Partial<Record<ConfigKeyPath, ConfigValue>> = {}
  for (const { def, value } of checked) {
    const next = applyOne(text, def, renderTomlValue(def.type, value), target)
    if (next !== text) changed.push(def.path)
    text = next
    values[def.path] = value
  }
  if (parseable(text) === null) {
    throw new ConfigError('config_edit_unsupported', `Cannot change ${target} in place; edit it by hand.`, {
      path: target,
    })
  }
  if (existing.text !== null && text === original) return { path: target, created: false, changed, values }
  try {
    await writeAtomically(target, text, existing.mode)
  } catch (error) {
    throw writeFailed(target, error, 'write')
  }
  return { path: target, created: existing.text === null, changed, values }
}

function writeFailed(target: string, error: unknown, verb: 'read' | 'write'): ConfigError {
  if (isConfigError(error)) return error
  const code = (error as NodeJS.ErrnoException).code
  return new ConfigError(
    'config_write_failed',
    `Cannot ${verb} the config file ${target}${code ? ` (${code})` : ''}: ${(error as Error).message}`,
    { path: target, cause: error },
  )
}

import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { checkWritten, type FileValue } from './_internal/check-written'
import { describeDefault, IssueList, keyLabel, where } from './_internal/issues'
import { scanKeyLines } from './_internal/toml-lines'
import { describeAccepted, formatValue, type Parsed, parseTextValue } from './_internal/values'
import { type ConfigKeyDefinition, configKeys } from './keys'
import type {
  ConfigFlags,
  ConfigIssue,
  ConfigIssueSource,
  ConfigKeyPath,
  ConfigSources,
  ConfigValue,
  ConfigValueSource,
  ResolvedConfig,
} from './types'

/** Options of `loadConfig`. Nothing process-wide is read unless a field is left out. */
export interface LoadConfigOptions {
  /**
   * Parsed CLI flags; they win over every other source.
   * @default {}
   */
  flags?: ConfigFlags
  /**
   * Environment variables (`AIRELAYS_*`, legacy `AIRELAY_*` / `OPENAI_ENDPOINT_*`, `XDG_CONFIG_HOME`).
   * An empty or blank value counts as unset.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>
  /**
   * Home directory: `~` in paths, the default data dir and config path.
   * @default os.homedir()
   */
  homeDir?: string
  /**
   * Directory that relative paths (from flags, env or the file) resolve against.
   * @default process.cwd()
   */
  cwd?: string
}

/** Result of `loadConfig`: always a complete config, plus what went wrong and where each value came from. */
export interface LoadConfigResult {
  config: ResolvedConfig
  /** Problems that did not change a value the user set (unknown keys, clamped values, empty lists). */
  warnings: ConfigIssue[]
  /** Values that were rejected (the key's default applies instead), an unreadable or malformed file. */
  errors: ConfigIssue[]
  /** Per key: default, file (path and line), env, legacy-env or flag. */
  sources: ConfigSources
}

const CONFIG_ENV = ['AIRELAYS_CONFIG'] as const
const LEGACY_CONFIG_ENV = ['AIRELAY_CONFIG', 'OPENAI_ENDPOINT_CONFIG'] as const

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

function expandPath(path: string, homeDir: string, cwd: string): string {
  if (path === '~') return homeDir
  if (path.startsWith('~/') || path.startsWith(`~${sep}`)) return join(homeDir, path.slice(2))
  return resolve(cwd, path)
}

interface Context {
  env: Readonly<Record<string, string | undefined>>
  flags: ConfigFlags
  homeDir: string
  cwd: string
}

function envText(ctx: Context, name: string): string | undefined {
  const value = ctx.env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

async function locateConfigFile(ctx: Context): Promise<{ path: string; source: ConfigValueSource }> {
  if (ctx.flags.config !== undefined && ctx.flags.config.trim() !== '') {
    return {
      path: expandPath(ctx.flags.config.trim(), ctx.homeDir, ctx.cwd),
      source: { kind: 'flag', name: '--config' },
    }
  }
  for (const [names, kind] of [
    [CONFIG_ENV, 'env'],
    [LEGACY_CONFIG_ENV, 'legacy-env'],
  ] as const) {
    for (const name of names) {
      const text = envText(ctx, name)
      if (text !== undefined)
        return { path: expandPath(text.trim(), ctx.homeDir, ctx.cwd), source: { kind, name } }
    }
  }
  const xdg = envText(ctx, 'XDG_CONFIG_HOME')?.trim()
  const configHome = xdg && isAbsolute(xdg) ? xdg : join(ctx.homeDir, '.config')
  const current = join(configHome, 'airelays', 'config.toml')
  const legacy = join(ctx.homeDir, '.config', 'airelay', 'config.toml')
  if (!(await pathExists(current)) && (await pathExists(legacy)))
    return { path: legacy, source: { kind: 'default' } }
  return { path: current, source: { kind: 'default' } }
}

async function readConfigFile(
  path: string,
  issues: IssueList,
): Promise<{ exists: boolean; values: Map<ConfigKeyPath, FileValue> }> {
  const empty = new Map<ConfigKeyPath, FileValue>()
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return { exists: false, values: empty }
    const source: ConfigIssueSource = { kind: 'file', path, line: null }
    issues.error(
      'config_read_failed',
      null,
      source,
      `Cannot read the config file ${path} (${code ?? (error as Error).message}). Its settings do not apply.`,
    )
    return { exists: true, values: empty }
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1)
  // loaded on use: without a config file (settings from the environment) it is never needed
  const { parse, TomlError } = await import('smol-toml')
  let written: unknown
  try {
    written = parse(text)
  } catch (error) {
    const line = error instanceof TomlError ? error.line : null
    const column = error instanceof TomlError ? error.column : null
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')
    issues.error(
      'config_parse_error',
      null,
      { kind: 'file', path, line },
      `Cannot parse ${path}${line === null ? '' : `:${line}:${column}`} as TOML: ${reason}. None of its settings apply until it is fixed.`,
    )
    return { exists: true, values: empty }
  }
  return { exists: true, values: checkWritten(written, path, scanKeyLines(text), issues).values }
}

/** The value a key takes from flags or environment, or undefined when neither sets it. */
function fromFlagsAndEnv(
  def: ConfigKeyDefinition,
  ctx: Context,
  issues: IssueList,
): { value: ConfigValue | undefined; source: ConfigValueSource } | undefined {
  const use = (parsed: Parsed, text: string, source: ConfigValueSource & { name: string }) => {
    const issueSource: ConfigIssueSource =
      source.kind === 'flag' ? source : { kind: 'env', name: source.name }
    if (!parsed.ok) {
      const shown =
        def.type.kind === 'secret'
          ? ''
          : ` ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`
      issues.error(
        'config_invalid_value',
        def.path,
        issueSource,
        `Invalid ${keyLabel(def)} value${shown} ${where(issueSource)}: expected ${describeAccepted(def.type, 'text')}. Using the default (${describeDefault(def)}).`,
      )
      return { value: undefined, source: { kind: 'default' } as const }
    }
    if (parsed.note === 'empty') {
      issues.warn(
        'config_empty_list',
        def.path,
        issueSource,
        `${keyLabel(def)} is empty ${where(issueSource)}; using the default (${describeDefault(def)}).`,
      )
      return { value: undefined, source: { kind: 'default' } as const }
    }
    if (parsed.note === 'clamped') {
      issues.warn(
        'config_value_clamped',
        def.path,
        issueSource,
        `${keyLabel(def)} value ${JSON.stringify(text.trim())} ${where(issueSource)} is below the minimum; using ${formatValue(parsed.value)}.`,
      )
    }
    return { value: parsed.value, source }
  }

  if (def.flag) {
    const raw = ctx.flags[def.flag.option]
    if (def.flag.value !== undefined) {
      if (raw === true) return { value: def.flag.value, source: { kind: 'flag', name: def.flag.name } }
    } else if (raw !== undefined) {
      // A bare `--port` (no value) arrives as `true`; it is a missing value, not the text "true".
      const text = typeof raw === 'boolean' ? '' : String(raw)
      return use(parseTextValue(def.type, text), text, { kind: 'flag', name: def.flag.name })
    }
  }
  for (const [names, kind] of [
    [def.env, 'env'],
    [def.legacyEnv, 'legacy-env'],
  ] as const) {
    for (const name of names) {
      const text = envText(ctx, name)
      if (text !== undefined) return use(parseTextValue(def.type, text), text, { kind, name })
    }
  }
  return undefined
}

function setValue(config: Record<string, unknown>, def: ConfigKeyDefinition, value: ConfigValue): void {
  let node = config
  for (const part of def.section.split('.')) {
    node[part] ??= {}
    node = node[part] as Record<string, unknown>
  }
  node[def.key] = Array.isArray(value) ? [...value] : value
}

/**
 * Resolve every AIRelays setting. Precedence per key: CLI flag > `AIRELAYS_*` env > legacy env
 * (`AIRELAY_*`, `OPENAI_ENDPOINT_*`) > config.toml > default. Never throws for user mistakes: a
 * rejected value becomes an error naming the key, its origin (file:line, variable or flag) and what
 * is accepted, and the key's default applies.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const ctx: Context = {
    env: options.env ?? process.env,
    flags: options.flags ?? {},
    homeDir: resolve(options.homeDir ?? homedir()),
    cwd: resolve(options.cwd ?? process.cwd()),
  }
  const issues = new IssueList()
  const configFile = await locateConfigFile(ctx)
  const file = await readConfigFile(configFile.path, issues)

  const config: Record<string, unknown> = {
    config_file: { path: configFile.path, exists: file.exists, source: configFile.source },
  }
  const sources = {} as ConfigSources
  const expand = (def: ConfigKeyDefinition, value: ConfigValue): ConfigValue =>
    def.type.kind === 'path' && typeof value === 'string' ? expandPath(value, ctx.homeDir, ctx.cwd) : value

  // Data-dir candidates for retargeting: the built-in default and the file's own data_dir.
  const homeDefaults = new Map<ConfigKeyPath, string>()
  for (const def of configKeys) {
    if (def.default.kind !== 'home-dir') continue
    const current = join(ctx.homeDir, def.default.dir)
    const legacy = join(ctx.homeDir, def.default.legacyDir)
    const chosen = !(await pathExists(current)) && (await pathExists(legacy)) ? legacy : current
    homeDefaults.set(def.path, chosen)
  }
  const dataDirKey: ConfigKeyPath = 'paths.data_dir'
  const fileDataDir = file.values.get(dataDirKey)
  const dataDirCandidates = [homeDefaults.get(dataDirKey) as string]
  if (fileDataDir) dataDirCandidates.push(expandPath(fileDataDir.value as string, ctx.homeDir, ctx.cwd))
  let dataDir = ''

  for (const def of configKeys) {
    const defaultValue = (): ConfigValue => {
      switch (def.default.kind) {
        case 'value':
          return def.default.value
        case 'home-dir':
          return homeDefaults.get(def.path) as string
        case 'data-dir':
          return join(dataDir, def.default.name)
      }
    }
    let value: ConfigValue
    let source: ConfigValueSource
    const explicit = fromFlagsAndEnv(def, ctx, issues)
    const fromFile = file.values.get(def.path)
    if (explicit) {
      value = explicit.value === undefined ? defaultValue() : expand(def, explicit.value)
      source = explicit.source
    } else if (fromFile) {
      value = expand(def, fromFile.value)
      source = { kind: 'file', path: configFile.path, line: fromFile.line }
      // A path still at its data-dir default follows data_dir wherever data_dir was moved.
      if (def.default.kind === 'data-dir') {
        const name = def.default.name
        if (dataDirCandidates.some((candidate) => join(candidate, name) === value)) {
          const retargeted = join(dataDir, name)
          if (retargeted !== value) {
            value = retargeted
            source = { kind: 'default' }
          }
        }
      }
    } else {
      value = defaultValue()
      source = { kind: 'default' }
    }
    if (def.path === dataDirKey) dataDir = value as string
    setValue(config, def, value)
    sources[def.path] = source
  }

  const paths = config.paths as ResolvedConfig['paths']
  paths.auth_file = join(dataDir, 'auth.json')
  paths.uploads_dir = join(dataDir, 'uploads')
  paths.tmp_dir = join(dataDir, 'tmp')
  paths.accounts_dir = join(dataDir, 'accounts')

  return {
    config: config as unknown as ResolvedConfig,
    warnings: issues.warnings,
    errors: issues.errors,
    sources,
  }
}

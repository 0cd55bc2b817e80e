import {
  type ConfigKeyDefinition,
  configKeys,
  loadConfig,
  renderConfig,
  renderKeyTable,
} from '@airelays/config'

/** Name of the generated region in docs/configuration.md. */
export const CONFIGURATION_REGION = 'config-reference'

/** The start marker written into docs/configuration.md. */
export const CONFIGURATION_START_MARKER: string = `<!-- ${CONFIGURATION_REGION}:start (generated from @airelays/config by \`pnpm --filter @airelays/docs-check run generate\`; do not edit by hand) -->`

/** The end marker written into docs/configuration.md. */
export const CONFIGURATION_END_MARKER: string = `<!-- ${CONFIGURATION_REGION}:end -->`

/** The home directory the rendered example file uses, so the docs do not depend on the machine. */
export const EXAMPLE_HOME = '/home/you'

const code = (text: string): string => `\`${text}\``

/** One environment variable and the setting it feeds. */
export interface EnvironmentVariable {
  name: string
  key: ConfigKeyDefinition
  /** A pre-rename name (`AIRELAY_*`, `OPENAI_ENDPOINT_*`, `*_EXPERIMENTAL`). */
  legacy: boolean
}

/** Every environment variable of every setting, sorted by name. */
export function environmentVariables(): EnvironmentVariable[] {
  const out: EnvironmentVariable[] = []
  for (const key of configKeys) {
    for (const name of key.env) out.push({ name, key, legacy: false })
    for (const name of key.legacyEnv) out.push({ name, key, legacy: true })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

function envTable(): string {
  const rows = environmentVariables()
    .filter((variable) => !variable.legacy)
    .map((variable) => {
      const legacy = variable.key.legacyEnv.map(code).join(', ')
      return `| ${code(variable.name)} | ${code(variable.key.path)} | ${legacy} |`
    })
  return ['| Variable | Setting | Legacy names (read after it) |', '| --- | --- | --- |', ...rows].join('\n')
}

function flagTable(): string {
  const rows = configKeys
    .filter((key) => key.flag)
    .map((key) => {
      const flag = key.flag as NonNullable<ConfigKeyDefinition['flag']>
      const effect = flag.value === undefined ? 'its value' : code(String(flag.value))
      return `| ${code(flag.name)} | ${code(key.path)} | ${effect} |`
    })
  return ['| Flag | Setting | Sets it to |', '| --- | --- | --- |', ...rows].join('\n')
}

/**
 * The generated part of docs/configuration.md: the key tables of `renderKeyTable()`, an index of
 * every environment variable and flag, and the complete file `airelays init` writes with the
 * defaults (for a home directory of `/home/you`).
 */
export async function renderConfigurationReference(): Promise<string> {
  const { config } = await loadConfig({ homeDir: EXAMPLE_HOME, cwd: EXAMPLE_HOME, env: {}, flags: {} })
  const file = renderConfig(config).trimEnd()
  return [
    '## Every key',
    '',
    renderKeyTable().trimEnd(),
    '',
    '## Every environment variable',
    '',
    'The current name of each variable; the legacy names of the Python relay are read after it (see',
    '[Precedence](#precedence)).',
    '',
    envTable(),
    '',
    '## Every flag',
    '',
    'The global flags work before or after the command (`airelays --data-dir /srv/ai status` and',
    '`airelays status --data-dir /srv/ai` are the same).',
    '',
    flagTable(),
    '',
    '## The default file',
    '',
    `What \`airelays init\` writes when nothing is overridden (home directory \`${EXAMPLE_HOME}\`):`,
    '',
    '```toml',
    file,
    '```',
    '',
  ].join('\n')
}

/** The whole generated region, markers included. */
export async function renderConfigurationRegion(): Promise<string> {
  return `${CONFIGURATION_START_MARKER}\n\n${await renderConfigurationReference()}\n${CONFIGURATION_END_MARKER}`
}

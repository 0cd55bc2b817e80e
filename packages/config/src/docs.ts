import { describeDefault } from './_internal/issues'
import { describeAccepted } from './_internal/values'
import { type ConfigKeyDefinition, configKeys, configSectionDescriptions, configSections } from './keys'

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')
const code = (text: string): string => `\`${text}\``

function environment(def: ConfigKeyDefinition): string {
  const current = def.env.map(code).join(', ')
  if (def.legacyEnv.length === 0) return current
  return `${current}; legacy ${def.legacyEnv.map(code).join(', ')}`
}

/**
 * Markdown reference of every setting, generated from `configKeys`: one `### [section]` table per
 * section with key, default, accepted values, environment variables (highest priority first) and flag.
 */
export function renderKeyTable(): string {
  const out: string[] = []
  for (const section of configSections) {
    out.push(`### \`[${section}]\``, '', configSectionDescriptions[section], '')
    out.push(
      '| Key | Default | Accepted | Environment | Flag | Description |',
      '| --- | --- | --- | --- | --- | --- |',
    )
    for (const def of configKeys) {
      if (def.section !== section) continue
      const accepted = def.inFile ? describeAccepted(def.type, 'file') : 'environment only'
      out.push(
        `| ${[
          code(def.key),
          code(describeDefault(def)),
          accepted,
          environment(def),
          def.flag ? code(def.flag.name) : '',
          def.description,
        ]
          .map(cell)
          .join(' | ')} |`,
      )
    }
    out.push('')
  }
  return out.join('\n')
}

import { describeDefault } from './_internal/issues'
import {
  type ConfigKeyDefinition,
  type ConfigValueType,
  configKeys,
  configSectionDescriptions,
  configSections,
  ignoredLegacyKeys,
} from './keys'

/** A JSON Schema document (draft 2020-12) as a plain object. */
export type JsonSchema = { [keyword: string]: unknown }

function typeSchema(type: ConfigValueType): JsonSchema {
  switch (type.kind) {
    case 'string':
    case 'secret':
    case 'path':
      return { type: 'string', minLength: 1 }
    case 'url':
      return { type: 'string', format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^/]' }
    case 'boolean':
      return { type: 'boolean' }
    case 'integer':
      return { type: 'integer', minimum: type.min, ...(type.max === undefined ? {} : { maximum: type.max }) }
    case 'number':
      return {
        type: 'number',
        ...(type.exclusiveMin ? { exclusiveMinimum: type.min } : { minimum: type.min }),
      }
    case 'enum':
      return { type: 'string', enum: [...type.values] }
    case 'string-list':
      return {
        anyOf: [
          {
            type: 'array',
            items: {
              type: 'string',
              minLength: 1,
              ...(type.itemPattern === undefined ? {} : { pattern: type.itemPattern }),
            },
          },
          { type: 'string', description: 'Comma-separated list.' },
        ],
      }
    case 'number-list':
      return {
        anyOf: [
          { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 1 },
          { type: 'string', description: 'Comma-separated list of numbers.' },
        ],
      }
  }
}

/** "Env: AIRELAYS_X (legacy: AIRELAY_X, OPENAI_ENDPOINT_X). Flag: --x." */
function describeOverrides(def: ConfigKeyDefinition): string {
  const parts: string[] = []
  if (def.env.length > 0) {
    const legacy = def.legacyEnv.length > 0 ? ` (legacy: ${def.legacyEnv.join(', ')})` : ''
    parts.push(`Env: ${def.env.join(', ')}${legacy}.`)
  }
  if (def.flag) parts.push(`Flag: ${def.flag.name}.`)
  return parts.join(' ')
}

function keySchema(def: ConfigKeyDefinition): JsonSchema {
  const schema: JsonSchema = {
    description: `${def.description} Default: ${describeDefault(def)}. ${describeOverrides(def)}`.trim(),
    ...typeSchema(def.type),
  }
  if (def.default.kind === 'value' && def.default.value !== null) schema.default = def.default.value
  if (def.default.kind === 'home-dir') schema.default = `~/${def.default.dir}`
  return schema
}

function sectionSchema(description: string, properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', description, additionalProperties: false, properties }
}

/**
 * JSON Schema (draft 2020-12) of config.toml, generated from `configKeys`. Shipped as
 * `@airelays/config/schema.json` for TOML editors (e.g. Taplo). It describes the canonical file;
 * unknown keys are only warnings for `loadConfig`, and `balance`/`storage` are case-insensitive there.
 */
export function configJsonSchema(): JsonSchema {
  const root: Record<string, JsonSchema> = {}
  for (const section of configSections) {
    const properties: Record<string, JsonSchema> = {}
    for (const def of configKeys) {
      if (def.section === section && def.inFile) properties[def.key] = keySchema(def)
    }
    for (const ignored of ignoredLegacyKeys) {
      const key = ignored.slice(section.length + 1)
      if (ignored.startsWith(`${section}.`) && !key.includes('.')) {
        properties[key] = {
          description: 'Legacy key of early releases; ignored and never written back.',
          deprecated: true,
        }
      }
    }
    const schema = sectionSchema(configSectionDescriptions[section], properties)
    const [head, child] = section.split('.') as [string, string | undefined]
    if (child === undefined) {
      root[head] = schema
    } else {
      root[head] ??= sectionSchema('Per-provider settings.', {})
      ;(root[head].properties as Record<string, JsonSchema>)[child] = schema
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'AIRelays config.toml',
    description:
      'Settings of the AIRelays relay. Precedence per key: CLI flags > AIRELAYS_* environment > legacy AIRELAY_* / OPENAI_ENDPOINT_* environment > this file > built-in defaults.',
    type: 'object',
    additionalProperties: false,
    properties: root,
  }
}

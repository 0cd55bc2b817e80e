import type { JsonObject } from '../types'
import { MAX_SCHEMA_DEPTH as MAX_DEPTH } from './tool-depth'
import { invalid, isObject } from './util'

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'] as const
const SCHEMA_SINGLES = ['contains', 'additionalItems', 'if', 'then', 'else', 'not'] as const
const SCHEMA_LISTS = ['anyOf', 'allOf', 'oneOf', 'prefixItems'] as const

/** Siblings of anyOf/oneOf that would still reject null after adding a null variant. */
const BLOCKS_VARIANT = ['allOf', 'not', 'enum', '$ref'] as const

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function member(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function isObjectSchema(schema: JsonObject): boolean {
  const type = schema.type
  return (
    type === 'object' ||
    (Array.isArray(type) && type.includes('object')) ||
    isObject(schema.properties) ||
    isObject(schema.patternProperties) ||
    Object.hasOwn(schema, 'additionalProperties')
  )
}

function admitsNull(schema: unknown): boolean {
  if (schema === true) return true
  if (!isObject(schema)) return false
  const type = schema.type
  return type === 'null' || (Array.isArray(type) && type.includes('null'))
}

function withNullEnum(schema: JsonObject): JsonObject {
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    return { ...schema, enum: [...schema.enum, null] }
  }
  return schema
}

/**
 * Makes an (already normalised) property schema accept null: a "null" type is added, or a
 * `{"type":"null"}` variant, or the schema is wrapped in `anyOf`.
 */
function nullable(schema: unknown): unknown {
  if (!isObject(schema)) return schema // boolean schemas: `true` already admits null
  if (admitsNull(schema)) return schema
  if (!Object.hasOwn(schema, 'const')) {
    const type = schema.type
    if (typeof type === 'string') return withNullEnum({ ...schema, type: [type, 'null'] })
    if (Array.isArray(type)) return withNullEnum({ ...schema, type: [...type, 'null'] })
    for (const key of ['anyOf', 'oneOf'] as const) {
      const variants = schema[key]
      if (Array.isArray(variants) && !BLOCKS_VARIANT.some((k) => Object.hasOwn(schema, k))) {
        return variants.some(admitsNull) ? schema : { ...schema, [key]: [...variants, { type: 'null' }] }
      }
    }
  }
  return { anyOf: [schema, { type: 'null' }] }
}

function walk(schema: unknown, path: string, param: string, depth: number): unknown {
  if (!isObject(schema)) return schema
  if (depth > MAX_DEPTH) {
    invalid(`\`${param}\` is nested more than ${MAX_DEPTH} levels deep.`, param, 'invalid_value')
  }
  const out: JsonObject = { ...schema }

  for (const key of SCHEMA_MAPS) {
    const map = schema[key]
    if (!isObject(map)) continue
    const next: JsonObject = {}
    for (const [name, child] of Object.entries(map)) {
      next[name] = walk(child, member(member(path, key), name), param, depth + 1)
    }
    out[key] = next
  }
  for (const key of SCHEMA_SINGLES) {
    if (Object.hasOwn(schema, key)) out[key] = walk(schema[key], member(path, key), param, depth + 1)
  }
  for (const key of SCHEMA_LISTS) {
    const list = schema[key]
    if (Array.isArray(list)) {
      out[key] = list.map((child, i) => walk(child, `${member(path, key)}[${i}]`, param, depth + 1))
    }
  }
  const items = schema.items
  if (Array.isArray(items)) {
    out.items = items.map((child, i) => walk(child, `${path}.items[${i}]`, param, depth + 1))
  } else if (items !== undefined) {
    out.items = walk(items, `${path}.items`, param, depth + 1)
  }

  if (isObjectSchema(schema)) {
    if (!Object.hasOwn(schema, 'additionalProperties')) {
      out.additionalProperties = false
    } else if (schema.additionalProperties !== false) {
      invalid(
        'The subscription backend requires every object schema to set `additionalProperties` to `false`; ' +
          `incompatible value at \`${path}\`.`,
        param,
        'unsupported_value',
      )
    }
    const properties = out.properties
    if (isObject(properties)) {
      const names = Object.keys(properties)
      const wasRequired = Array.isArray(schema.required)
        ? schema.required.filter((name): name is string => typeof name === 'string')
        : []
      const originally = new Set(wasRequired)
      const next: JsonObject = {}
      for (const name of names) {
        next[name] = originally.has(name) ? properties[name] : nullable(properties[name])
      }
      out.properties = next
      out.required = [...names, ...[...new Set(wasRequired)].filter((name) => !names.includes(name))]
    }
  }
  return out
}

/**
 * Normalises a JSON schema for the backend's strict structured output (reference §4 chat):
 * every object schema lists all its properties in `required` (in order, then any extra names
 * that were required already), properties that were optional become nullable, and
 * `additionalProperties` defaults to false — any other explicit value is rejected with a 400
 * naming `param` and the schema path. The input is not modified.
 */
export function normalizeJsonSchema(schema: JsonObject, param: string): JsonObject {
  return walk(schema, '$', param, 0) as JsonObject
}

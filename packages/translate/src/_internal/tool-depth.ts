import type { JsonObject } from '../types'
import { invalid, isObject } from './util'

/**
 * The deepest nesting a schema the relay forwards may have: `response_format` / `text.format`
 * schemas (`schema.ts`) and every tool definition (below). Deeper ones are refused with 400.
 */
export const MAX_SCHEMA_DEPTH = 64

/** Nesting depth of `value` (objects and arrays), counted without recursion; stops past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number]
    if (node === null || typeof node !== 'object') continue
    if (depth + 1 > deepest) deepest = depth + 1
    if (deepest > limit) return deepest
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
    }
  }
  return deepest
}

/** Refuses one member of a tool (`parameters`, `format`, `input_schema`, …) nested too deep. */
function checkMembers(tool: JsonObject, param: string): void {
  for (const [key, value] of Object.entries(tool)) {
    if (key === 'function' && isObject(value)) {
      checkMembers(value, `${param}.function`)
    } else if (depthOf(value, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH) {
      invalid(
        `\`${param}.${key}\` is nested more than ${MAX_SCHEMA_DEPTH} levels deep.`,
        `${param}.${key}`,
        'tool_schema_too_deep',
      )
    }
  }
}

/**
 * Refuses tool definitions nested deeper than {@link MAX_SCHEMA_DEPTH} levels — function
 * `parameters`, custom tool `format`s, Anthropic `input_schema`s, legacy `functions` — before
 * anything walks them recursively (issue 26, item 9: a schema ~1,940 levels deep answered 500).
 * Every request translator calls it first, so each wire format answers its own 400 envelope.
 * Checked without recursion; throws {@link invalid} with code `tool_schema_too_deep`.
 */
export function checkToolDepth(body: unknown): void {
  if (!isObject(body)) return
  for (const key of ['tools', 'functions'] as const) {
    const list = body[key]
    if (!Array.isArray(list)) continue
    list.forEach((tool, i) => {
      if (isObject(tool)) checkMembers(tool, `${key}[${i}]`)
    })
  }
}

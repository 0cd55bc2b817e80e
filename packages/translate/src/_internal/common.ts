import type { JsonObject, ResponsesRequest, ResponsesTextFormat } from '../types'
import { normalizeJsonSchema } from './schema'
import { invalid, isObject, readEffort } from './util'

/** The upstream `reasoning` and `include` for a requested effort / summary. */
export interface ReasoningPlan {
  reasoning?: { effort?: string; summary?: string }
  include: string[]
}

/**
 * Builds `reasoning` + `include`. `effort: "none"` disables reasoning (no summary, nothing
 * included); any other requested reasoning asks for a summary (`auto` unless given) so the
 * client can be shown `reasoning_content`, and includes the encrypted reasoning content.
 */
export function reasoningPlan(effort: string | null, summary: string | null): ReasoningPlan {
  if (effort === null && summary === null) return { include: [] }
  if (effort === 'none') return { reasoning: { effort }, include: [] }
  const reasoning: { effort?: string; summary?: string } = {}
  if (effort !== null) reasoning.effort = effort
  const wanted = summary ?? 'auto'
  if (wanted !== 'none') reasoning.summary = wanted
  return { reasoning, include: ['reasoning.encrypted_content'] }
}

/** Reads the chat / completions reasoning parameters (`reasoning_effort`, `reasoning`). */
export function readReasoning(body: JsonObject): ReasoningPlan {
  let effort = readEffort(body.reasoning_effort, 'reasoning_effort')
  let summary: string | null = null
  const reasoning = body.reasoning
  if (reasoning !== undefined && reasoning !== null) {
    if (!isObject(reasoning)) invalid('`reasoning` must be an object.', 'reasoning', 'invalid_type')
    effort ??= readEffort(reasoning.effort, 'reasoning.effort')
    summary = readEffort(reasoning.summary, 'reasoning.summary')
  }
  return reasoningPlan(effort, summary)
}

/** Reads a chat-style `json_schema` format object (`response_format.json_schema`). */
export function jsonSchemaFormat(source: JsonObject, param: string): ResponsesTextFormat {
  const name = source.name
  if (typeof name !== 'string' || name.trim() === '') {
    invalid(`\`${param}.name\` must be a non-empty string.`, `${param}.name`, 'invalid_value')
  }
  const schema = source.schema
  if (!isObject(schema)) {
    invalid(`\`${param}.schema\` must be a JSON schema object.`, `${param}.schema`, 'invalid_type')
  }
  const format: ResponsesTextFormat = {
    type: 'json_schema',
    name,
    schema: normalizeJsonSchema(schema, `${param}.schema`),
  }
  const strict = source.strict
  if (strict !== undefined && strict !== null) {
    if (typeof strict !== 'boolean') {
      invalid(`\`${param}.strict\` must be a boolean.`, `${param}.strict`, 'invalid_type')
    }
    format.strict = strict
  }
  const description = source.description
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') {
      invalid(`\`${param}.description\` must be a string.`, `${param}.description`, 'invalid_type')
    }
    format.description = description
  }
  return format
}

/**
 * JSON mode (`response_format` / `text.format` `{type: "json_object"}`), as the backend takes it:
 * a non-strict `json_schema` format whose schema is any JSON object (the backend's structured
 * output is `json_schema`; a bare object schema cannot be strict).
 */
export function jsonObjectFormat(): ResponsesTextFormat {
  return { type: 'json_schema', name: 'json_object', schema: { type: 'object' }, strict: false }
}

/** Fixed key order for translated requests (stable snapshots, readable logs). */
const KEY_ORDER = [
  'model',
  'instructions',
  'input',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'include',
  'text',
  'store',
  'stream',
  'prompt_cache_key',
  'service_tier',
]

/** Returns `request` with its keys in the documented order (unknown keys last, as given). */
export function ordered(request: ResponsesRequest): ResponsesRequest {
  const out: JsonObject = {}
  for (const key of KEY_ORDER) if (request[key] !== undefined) out[key] = request[key]
  for (const [key, value] of Object.entries(request)) {
    if (!KEY_ORDER.includes(key) && value !== undefined) out[key] = value
  }
  return out as ResponsesRequest
}

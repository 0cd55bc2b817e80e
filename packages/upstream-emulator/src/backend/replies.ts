import type { ScriptedOutput } from '../types'

/** The fixed answer when the input asks for nothing specific. */
export const DEFAULT_TEXT = 'Hello from the AIRelays upstream emulator.'
/** Reasoning summary used when `reasoning` is requested and nothing was scripted. */
export const DEFAULT_REASONING =
  '**Planning the answer**\n\nThe request is simple, so the emulator answers it directly.'
/** Preamble of the `commentary` phase message. */
export const COMMENTARY_TEXT = 'Working on it.'

const REPLY_WITH_EXACTLY = /reply with exactly:\s*([\s\S]*)$/i

export interface PlannedCall {
  name: string
  arguments: string
}

export interface ReplyPlan {
  /** A compaction turn (trailing `compaction_trigger`): exactly one `compaction` item, nothing else. */
  compaction?: boolean
  reasoning: string | null
  messages: Array<{ text: string; phase: 'commentary' | 'final_answer' | null }>
  toolCalls: PlannedCall[]
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Text of a message item's content (string or parts). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  const parts: string[] = []
  for (const part of content) {
    if (isObject(part) && typeof part.text === 'string') parts.push(part.text)
  }
  return parts.join('\n')
}

function lastUserText(input: unknown[]): string {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i]
    if (isObject(item) && item.role === 'user' && (item.type === undefined || item.type === 'message')) {
      return contentText(item.content)
    }
  }
  return ''
}

/** Deterministic text answer: the "Reply with exactly: X" instruction, else the fixed sentence. */
export function defaultText(input: unknown[]): string {
  const match = REPLY_WITH_EXACTLY.exec(lastUserText(input))
  const answer = match?.[1]?.trim()
  return answer ? answer : DEFAULT_TEXT
}

function functionTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) return []
  return tools.filter((t): t is Json => isObject(t) && t.type === 'function' && typeof t.name === 'string')
}

/** True when the input ends with a `compaction_trigger` item. */
export function isCompactionTurn(input: unknown[]): boolean {
  const last = input[input.length - 1]
  return isObject(last) && last.type === 'compaction_trigger'
}

/** Build what the default (unscripted) reply contains for a validated request body. */
export function defaultPlan(body: Json, input: unknown[]): ReplyPlan {
  if (isCompactionTurn(input)) return { compaction: true, reasoning: null, messages: [], toolCalls: [] }
  const reasoning = wantsReasoning(body) ? DEFAULT_REASONING : null
  const tools = functionTools(body.tools)
  const last = input[input.length - 1]
  const lastIsToolResult =
    isObject(last) && (last.type === 'function_call_output' || last.type === 'custom_tool_call_output')
  const choice = body.tool_choice
  if (tools.length > 0 && choice !== 'none' && !lastIsToolResult) {
    let chosen: Json[]
    if (isObject(choice) && typeof choice.name === 'string') {
      const named = tools.find((t) => t.name === choice.name)
      chosen = named ? [named] : [tools[0] as Json]
    } else if (body.parallel_tool_calls === true && tools.length >= 2) {
      chosen = tools.slice(0, 2)
    } else {
      chosen = [tools[0] as Json]
    }
    return {
      reasoning,
      messages: [],
      toolCalls: chosen.map((tool) => ({
        name: tool.name as string,
        arguments: JSON.stringify(schemaInstance(tool.parameters ?? { type: 'object' }, tool.parameters)),
      })),
    }
  }
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : null
  const text =
    format && format.type === 'json_schema'
      ? JSON.stringify(schemaInstance(format.schema ?? { type: 'object' }, format.schema))
      : format && format.type === 'json_object'
        ? JSON.stringify({ answer: defaultText(input) })
        : defaultText(input)
  return { reasoning, messages: [{ text, phase: null }], toolCalls: [] }
}

export function wantsReasoning(body: Json): boolean {
  return isObject(body.reasoning) && body.reasoning.effort !== 'none'
}

/** Build the plan of a scripted `reply` behaviour. */
export function scriptedPlan(output: ScriptedOutput, body: Json, input: unknown[]): ReplyPlan {
  const toolCalls = (output.toolCalls ?? []).map((call) => ({
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }))
  let text = output.text
  if (text === undefined) text = toolCalls.length > 0 ? '' : defaultText(input)
  const messages: ReplyPlan['messages'] = []
  if (output.phases) {
    messages.push({ text: COMMENTARY_TEXT, phase: 'commentary' })
    messages.push({ text, phase: 'final_answer' })
  } else if (text.length > 0) {
    messages.push({ text, phase: null })
  }
  const reasoning = output.reasoning ?? (wantsReasoning(body) ? DEFAULT_REASONING : null)
  return { reasoning, messages, toolCalls }
}

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  time: '00:00:00',
  email: 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  uuid: '00000000-0000-4000-8000-000000000000',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  hostname: 'example.com',
}

function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#')) return {}
  let node: unknown = root
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (!isObject(node)) return {}
    node = node[key]
  }
  return node ?? {}
}

/**
 * A deterministic JSON value valid for a (practical subset of) JSON Schema: objects with every
 * property, one-element arrays (or minItems), enum/const first values, formats, bounds, refs.
 */
export function schemaInstance(schema: unknown, root: unknown, depth = 0): unknown {
  if (depth > 24 || schema === true || !isObject(schema)) return schema === false ? null : {}
  if (typeof schema.$ref === 'string') return schemaInstance(resolveRef(schema.$ref, root), root, depth + 1)
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  if ('default' in schema && schema.default !== undefined) return schema.default
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key]
    if (Array.isArray(options) && options.length > 0) {
      const nonNull = options.find((o) => !(isObject(o) && o.type === 'null')) ?? options[0]
      return schemaInstance(nonNull, root, depth + 1)
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged: Json = {}
    for (const part of schema.allOf) {
      const value = schemaInstance(part, root, depth + 1)
      if (isObject(value)) Object.assign(merged, value)
      else return value
    }
    return merged
  }
  let type = schema.type
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0]
  if (type === undefined) {
    if (isObject(schema.properties)) type = 'object'
    else if (schema.items !== undefined) type = 'array'
  }
  switch (type) {
    case 'object': {
      const out: Json = {}
      const props = isObject(schema.properties) ? schema.properties : {}
      for (const [key, sub] of Object.entries(props)) out[key] = schemaInstance(sub, root, depth + 1)
      return out
    }
    case 'array': {
      const count = Math.max(1, typeof schema.minItems === 'number' ? schema.minItems : 1)
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : count
      const n = Math.min(count, max)
      const items: unknown[] = []
      const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : []
      for (let i = 0; i < n; i++) items.push(schemaInstance(prefix[i] ?? schema.items ?? {}, root, depth + 1))
      return items
    }
    case 'string': {
      if (typeof schema.format === 'string' && FORMAT_SAMPLES[schema.format])
        return FORMAT_SAMPLES[schema.format]
      let value = 'example'
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY
      while (value.length < min) value += 'x'
      if (value.length > max) value = value.slice(0, max)
      return value
    }
    case 'integer':
    case 'number': {
      let value = 1
      if (typeof schema.minimum === 'number') value = Math.max(value, schema.minimum)
      if (typeof schema.exclusiveMinimum === 'number') value = Math.max(value, schema.exclusiveMinimum + 1)
      if (typeof schema.maximum === 'number') value = Math.min(value, schema.maximum)
      if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
        value = schema.exclusiveMaximum - 1
      if (type === 'integer') value = Math.ceil(value)
      if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0)
        value = Math.ceil(value / schema.multipleOf) * schema.multipleOf
      return value
    }
    case 'boolean':
      return true
    case 'null':
      return null
    default:
      return {}
  }
}

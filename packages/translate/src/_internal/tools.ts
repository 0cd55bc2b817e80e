import type { JsonObject, ResponsesFunctionTool, ResponsesToolChoice } from '../types'
import { cloneJson, invalid, isObject, sha256Hex, typeName } from './util'

/** The backend's (and OpenAI's) limit on function names. */
export const MAX_TOOL_NAME = 64

const PREFIX = 30
const HASH = 8
const SUFFIX = MAX_TOOL_NAME - PREFIX - HASH - 2

/**
 * Deterministic short names for function names longer than 64 characters: the first 30
 * characters, `_`, 8 hex characters of SHA-256, `_`, the last 24 characters. A candidate that
 * collides with another name is re-hashed with a counter until it is unique.
 */
export class ToolNames {
  readonly #taken = new Set<string>()
  readonly #short = new Map<string, string>()
  readonly #original: Record<string, string> = {}

  /** Registers every name that will be sent unchanged, so no short name can collide with it. */
  reserve(names: Iterable<string>): void {
    for (const name of names) if (Array.from(name).length <= MAX_TOOL_NAME) this.#taken.add(name)
  }

  /** The name to send upstream for a client name. */
  upstream(name: string): string {
    const chars = Array.from(name)
    if (chars.length <= MAX_TOOL_NAME) return name
    const known = this.#short.get(name)
    if (known !== undefined) return known
    const head = chars.slice(0, PREFIX).join('')
    const tail = chars.slice(-SUFFIX).join('')
    let candidate = ''
    for (let round = 0; ; round += 1) {
      const hash = sha256Hex(round === 0 ? name : `${name}#${round}`).slice(0, HASH)
      candidate = `${head}_${hash}_${tail}`
      if (!this.#taken.has(candidate)) break
    }
    this.#taken.add(candidate)
    this.#short.set(name, candidate)
    this.#original[candidate] = name
    return candidate
  }

  /** Upstream name -> client name, only for the names that were shortened. */
  get reverseMap(): Record<string, string> {
    return { ...this.#original }
  }

  get shortenedCount(): number {
    return this.#short.size
  }
}

/** A client function definition after validation, before name shortening. */
export interface FunctionDefinition {
  name: string
  description?: string
  parameters: JsonObject
  strict?: boolean
  /** A custom (freeform) tool: sent as `{type: "custom", name, description, format}`. */
  custom?: { format?: JsonObject }
}

/** A custom tool: flat (`{type: "custom", name, …}`, Cursor) or nested (`{type: "custom", custom: {…}}`). */
function readCustomDefinition(tool: JsonObject, param: string): FunctionDefinition {
  const nested = isObject(tool.custom)
  const source = nested ? (tool.custom as JsonObject) : tool
  const at = nested ? `${param}.custom` : param
  const name = source.name
  if (typeof name !== 'string' || name === '') {
    invalid(`\`${at}.name\` must be a non-empty string.`, `${at}.name`, 'invalid_type')
  }
  const definition: FunctionDefinition = { name, parameters: {}, custom: {} }
  const description = source.description
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') {
      invalid(`\`${at}.description\` must be a string.`, `${at}.description`, 'invalid_type')
    }
    definition.description = description
  }
  const format = source.format
  if (format !== undefined && format !== null) {
    if (!isObject(format)) invalid(`\`${at}.format\` must be an object.`, `${at}.format`, 'invalid_type')
    definition.custom = { format: cloneJson(format) }
  }
  return definition
}

function readDefinition(source: JsonObject, param: string): FunctionDefinition {
  const name = source.name
  if (typeof name !== 'string' || name === '') {
    invalid(`\`${param}.name\` must be a non-empty string.`, `${param}.name`, 'invalid_type')
  }
  const definition: FunctionDefinition = {
    name,
    parameters: { type: 'object', properties: {} },
  }
  const description = source.description
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') {
      invalid(`\`${param}.description\` must be a string.`, `${param}.description`, 'invalid_type')
    }
    definition.description = description
  }
  const parameters = source.parameters
  if (parameters !== undefined && parameters !== null) {
    if (!isObject(parameters)) {
      invalid(`\`${param}.parameters\` must be a JSON schema object.`, `${param}.parameters`, 'invalid_type')
    }
    definition.parameters = cloneJson(parameters)
  }
  const strict = source.strict
  if (strict !== undefined && strict !== null) {
    if (typeof strict !== 'boolean') {
      invalid(`\`${param}.strict\` must be a boolean.`, `${param}.strict`, 'invalid_type')
    }
    definition.strict = strict
  }
  return definition
}

/** Reads chat `tools` (nested or flat function tools). */
export function readChatTools(value: unknown): FunctionDefinition[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) invalid('`tools` must be an array.', 'tools', 'invalid_type')
  return value.map((tool, i) => {
    const param = `tools[${i}]`
    if (!isObject(tool)) invalid(`\`${param}\` must be an object.`, param, 'invalid_type')
    if (tool.type === 'custom') return readCustomDefinition(tool, param)
    if (tool.type !== 'function') {
      const shown = typeof tool.type === 'string' ? tool.type : typeName(tool.type)
      invalid(
        `Unsupported tool type \`${shown}\`. Only \`function\` and \`custom\` tools are supported.`,
        `${param}.type`,
        'unsupported_value',
      )
    }
    if (tool.function !== undefined) {
      if (!isObject(tool.function)) {
        invalid(`\`${param}.function\` must be an object.`, `${param}.function`, 'invalid_type')
      }
      return readDefinition(tool.function, `${param}.function`)
    }
    return readDefinition(tool, param)
  })
}

/** Reads legacy chat `functions`. */
export function readLegacyFunctions(value: unknown): FunctionDefinition[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) invalid('`functions` must be an array.', 'functions', 'invalid_type')
  return value.map((fn, i) => {
    const param = `functions[${i}]`
    if (!isObject(fn)) invalid(`\`${param}\` must be an object.`, param, 'invalid_type')
    return readDefinition(fn, param)
  })
}

/** Flat Responses tools with upstream names. */
export function flattenTools(
  definitions: FunctionDefinition[],
  names: ToolNames,
): (ResponsesFunctionTool | JsonObject)[] {
  return definitions.map((definition) => {
    if (definition.custom !== undefined) {
      const tool: JsonObject = { type: 'custom', name: names.upstream(definition.name) }
      if (definition.description !== undefined) tool.description = definition.description
      if (definition.custom.format !== undefined) tool.format = definition.custom.format
      return tool
    }
    const tool: ResponsesFunctionTool = {
      type: 'function',
      name: names.upstream(definition.name),
      parameters: {},
    }
    if (definition.description !== undefined) tool.description = definition.description
    tool.parameters = definition.parameters
    if (definition.strict !== undefined) tool.strict = definition.strict
    return tool
  })
}

/** The client's choice, before name mapping: a mode or a function name. */
export type ClientToolChoice = 'auto' | 'none' | 'required' | { name: string }

/** Reads chat `tool_choice`. */
export function readToolChoice(value: unknown): ClientToolChoice | null {
  if (value === undefined || value === null) return null
  if (value === 'auto' || value === 'none' || value === 'required') return value
  if (isObject(value) && (value.type === 'function' || value.type === 'custom' || value.type === undefined)) {
    const nested = value.type === 'custom' ? value.custom : value.function
    const name = isObject(nested) ? nested.name : value.name
    if (typeof name === 'string' && name !== '') return { name }
  }
  return invalid(
    '`tool_choice` must be "auto", "none", "required" or {"type": "function", "function": {"name": …}}.',
    'tool_choice',
    'invalid_value',
  )
}

/** Reads legacy chat `function_call`. */
export function readFunctionCall(value: unknown): ClientToolChoice | null {
  if (value === undefined || value === null) return null
  if (value === 'auto' || value === 'none') return value
  if (isObject(value) && typeof value.name === 'string' && value.name !== '') return { name: value.name }
  return invalid('`function_call` must be "auto", "none" or {"name": …}.', 'function_call', 'invalid_value')
}

/** What a client tool choice is checked against: the request's tools and where the choice came from. */
export interface ToolChoiceContext {
  /** Client names of every defined tool. */
  defined: ReadonlySet<string>
  /** Client names of the custom (free-form) tools among them. @default none */
  custom?: ReadonlySet<string>
  names: ToolNames
  /** The request field the choice came from, for errors (`tool_choice` or `function_call`). */
  param: string
}

/** The upstream `tool_choice` for a client choice. */
export function upstreamToolChoice(
  choice: ClientToolChoice,
  { defined, custom, names, param }: ToolChoiceContext,
): ResponsesToolChoice | JsonObject {
  if (typeof choice === 'string') {
    if (choice === 'required' && defined.size === 0) {
      invalid(`\`${param}\` is "required" but no tools are defined.`, param, 'invalid_value')
    }
    return choice
  }
  if (!defined.has(choice.name)) {
    invalid(
      `\`${param}\` names the function \`${choice.name}\`, which is not defined in \`tools\`.`,
      param,
      'invalid_value',
    )
  }
  return { type: custom?.has(choice.name) ? 'custom' : 'function', name: names.upstream(choice.name) }
}

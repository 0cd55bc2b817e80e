// Anthropic `tools` and `tool_choice` -> Responses tools, tool_choice and parallel_tool_calls.

import { normalizeJsonSchema } from '../_internal/schema'
import type { ToolNames } from '../_internal/tools'
import { cloneJson, invalid, isObject } from '../_internal/util'
import type { JsonObject, ResponsesToolChoice } from '../types'

/** The translated tools. */
export interface ToolPlan {
  tools: JsonObject[]
  toolChoice: ResponsesToolChoice | JsonObject
  parallelToolCalls?: boolean
  /** Client names of the custom tools. */
  defined: Set<string>
  /** Names of the dropped server tools. */
  dropped: string[]
  /** Set when a tool carried `cache_control`. */
  cacheControl: boolean
}

function customTool(tool: JsonObject, param: string, names: ToolNames): JsonObject {
  const name = tool.name
  if (typeof name !== 'string' || name === '')
    invalid(`${param}.name: Field required.`, `${param}.name`, 'missing_required_parameter')
  const schema = tool.input_schema
  if (!isObject(schema)) {
    invalid(
      `${param}.input_schema: Input should be a valid dictionary.`,
      `${param}.input_schema`,
      'invalid_type',
    )
  }
  const parameters = cloneJson(schema)
  delete parameters.$schema
  if (parameters.type === 'object' && !isObject(parameters.properties)) parameters.properties = {}
  const out: JsonObject = { type: 'function', name: names.upstream(name) }
  if (typeof tool.description === 'string' && tool.description !== '') out.description = tool.description
  if (tool.strict === true) {
    out.parameters = normalizeJsonSchema(parameters, `${param}.input_schema`)
    out.strict = true
  } else {
    out.parameters = parameters
    out.strict = false
  }
  return out
}

function webSearchTool(tool: JsonObject): JsonObject {
  const out: JsonObject = { type: 'web_search' }
  if (Array.isArray(tool.allowed_domains) && tool.allowed_domains.length > 0) {
    out.filters = { allowed_domains: tool.allowed_domains.filter((d) => typeof d === 'string') }
  }
  if (isObject(tool.user_location)) out.user_location = cloneJson(tool.user_location)
  return out
}

function isWebSearch(tool: JsonObject): boolean {
  return typeof tool.type === 'string' && tool.type.startsWith('web_search_')
}

function readChoice(value: unknown): JsonObject | null {
  if (value === undefined || value === null) return null
  if (!isObject(value) || !['auto', 'any', 'none', 'tool'].includes(String(value.type))) {
    return invalid(
      "tool_choice: Input should be {type: 'auto' | 'any' | 'none' | 'tool'}.",
      'tool_choice.type',
      'invalid_value',
    )
  }
  if (value.type === 'tool' && (typeof value.name !== 'string' || value.name === '')) {
    invalid('tool_choice.name: Field required.', 'tool_choice.name', 'missing_required_parameter')
  }
  return value
}

function upstreamChoice(
  choice: JsonObject | null,
  plan: ToolPlan,
  names: ToolNames,
  webSearch: string[],
): ResponsesToolChoice | JsonObject {
  if (plan.tools.length === 0 || choice === null) return plan.tools.length === 0 ? 'none' : 'auto'
  switch (choice.type) {
    case 'none':
      return 'none'
    case 'any':
      return 'required'
    case 'tool': {
      const name = choice.name as string
      if (plan.defined.has(name)) return { type: 'function', name: names.upstream(name) }
      if (webSearch.includes(name)) return { type: 'web_search' }
      return invalid(
        `tool_choice.name: Tool \`${name}\` is not defined in \`tools\`.`,
        'tool_choice.name',
        'invalid_value',
      )
    }
    default:
      return 'auto'
  }
}

/**
 * Custom tools become function tools (`strict: false` unless the tool says `strict: true`, whose
 * schema is then normalised), `web_search_*` becomes `{type: 'web_search'}` (allowed domains and
 * user location kept), other server tools are dropped. `tool_choice`: auto -> auto, any ->
 * required, none -> none, tool -> the function; `disable_parallel_tool_use` ->
 * `parallel_tool_calls: false`.
 */
export function readTools(body: JsonObject, names: ToolNames): ToolPlan {
  const plan: ToolPlan = {
    tools: [],
    toolChoice: 'none',
    defined: new Set(),
    dropped: [],
    cacheControl: false,
  }
  const value = body.tools
  if (value !== undefined && value !== null && !Array.isArray(value)) {
    invalid('tools: Input should be a valid list.', 'tools', 'invalid_type')
  }
  const tools = (value ?? []) as unknown[]
  const custom = tools.filter(
    (tool): tool is JsonObject => isObject(tool) && (tool.type === undefined || tool.type === 'custom'),
  )
  names.reserve(custom.map((tool) => String(tool.name)))
  const webSearch: string[] = []
  tools.forEach((tool, i) => {
    const param = `tools.${i}`
    if (!isObject(tool)) invalid(`${param}: Input should be a valid dictionary.`, param, 'invalid_type')
    if (tool.cache_control !== undefined) plan.cacheControl = true
    if (tool.type === undefined || tool.type === null || tool.type === 'custom') {
      plan.tools.push(customTool(tool, param, names))
      plan.defined.add(tool.name as string)
    } else if (isWebSearch(tool)) {
      plan.tools.push(webSearchTool(tool))
      webSearch.push(typeof tool.name === 'string' ? tool.name : 'web_search')
    } else {
      plan.dropped.push(typeof tool.name === 'string' ? tool.name : String(tool.type))
    }
  })
  const choice = readChoice(body.tool_choice)
  plan.toolChoice = upstreamChoice(choice, plan, names, webSearch)
  if (plan.tools.length > 0) plan.parallelToolCalls = choice?.disable_parallel_tool_use !== true
  return plan
}

import type { EmulatorModel } from '../types'

type Json = Record<string, unknown>

/** A validation failure: status + exact body. */
export interface Rejection {
  status: number
  body: unknown
}

/** Fields the Codex backend rejects with `{"detail":"Unsupported parameter: <name>"}`. */
export const UNSUPPORTED_PARAMETERS: readonly string[] = [
  'max_output_tokens',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'metadata',
  'top_logprobs',
  'prompt_cache_retention',
  'safety_identifier',
  'generate',
  'stream_options',
  'context_window',
  'max_context_window',
  'truncation_policy',
]

export const ITEM_NOT_PERSISTED =
  'Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.'

const detail = (status: number, message: string): Rejection => ({ status, body: { detail: message } })

export function openaiError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type = 'invalid_request_error',
): Rejection {
  return { status, body: { error: { message, type, param, code } } }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal'
  if (typeof value === 'boolean') return 'a boolean'
  return `a ${typeof value}`
}

function quoteList(values: string[]): string {
  const q = values.map((v) => `'${v}'`)
  if (q.length <= 1) return q.join('')
  return `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`
}

export interface ValidatedRequest {
  body: Json
  input: unknown[]
  model: EmulatorModel
}

/**
 * Validate a `/responses` body the way the Codex backend does, in a fixed order. Returns the
 * normalised request (string input wrapped as one user message) or the exact rejection.
 */
export function validateResponsesBody(
  parsed: unknown,
  catalog: EmulatorModel[],
): ValidatedRequest | Rejection {
  if (!isObject(parsed)) {
    return openaiError(
      400,
      'We could not parse the JSON body of your request. The API expects a JSON object.',
      null,
      null,
    )
  }
  const body = parsed
  if (body.store !== false) return detail(400, 'Store must be set to false')
  if (body.stream !== true) return detail(400, 'Stream must be set to true')
  for (const name of UNSUPPORTED_PARAMETERS) {
    if (body[name] !== undefined && body[name] !== null) return detail(400, `Unsupported parameter: ${name}`)
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    return openaiError(
      400,
      `Previous response with id '${String(body.previous_response_id)}' not found.`,
      'previous_response_id',
      'previous_response_not_found',
    )
  }
  if (typeof body.model !== 'string' || body.model.length === 0) {
    return openaiError(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
  }
  const model = catalog.find((m) => m.slug === body.model)
  if (!model) {
    return detail(400, `The '${body.model}' model is not supported when using Codex with a ChatGPT account.`)
  }
  if (
    body.instructions !== undefined &&
    body.instructions !== null &&
    typeof body.instructions !== 'string'
  ) {
    return openaiError(
      400,
      `Invalid type for 'instructions': expected a string, but got ${typeName(body.instructions)} instead.`,
      'instructions',
      'invalid_type',
    )
  }
  let input: unknown[]
  if (body.input === undefined || body.input === null) input = []
  else if (typeof body.input === 'string') {
    input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] }]
  } else if (Array.isArray(body.input)) input = body.input
  else {
    return openaiError(
      400,
      `Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(body.input)} instead.`,
      'input',
      'invalid_type',
    )
  }
  const calls = new Set<string>()
  for (let i = 0; i < input.length; i++) {
    const item = input[i]
    if (!isObject(item)) {
      return openaiError(
        400,
        `Invalid type for 'input[${i}]': expected an input item object, but got ${typeName(item)} instead.`,
        `input[${i}]`,
        'invalid_type',
      )
    }
    if (item.type === 'item_reference') {
      return openaiError(
        404,
        `Item with id '${String(item.id)}' not found. ${ITEM_NOT_PERSISTED}`,
        'input',
        null,
      )
    }
    if (typeof item.id === 'string' && item.id.length > 0) {
      return openaiError(404, `Item with id '${item.id}' not found. ${ITEM_NOT_PERSISTED}`, 'input', null)
    }
    if (item.role === 'system') return detail(400, 'System messages are not allowed')
    if (item.type === 'function_call' && typeof item.call_id === 'string') calls.add(item.call_id)
    if (item.type === 'custom_tool_call' && typeof item.call_id === 'string') calls.add(item.call_id)
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      if (typeof item.call_id !== 'string' || !calls.has(item.call_id)) {
        return openaiError(
          400,
          `No tool call found for function call output with call_id ${String(item.call_id)}.`,
          'input',
          null,
        )
      }
    }
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) {
      return openaiError(
        400,
        `Invalid type for 'tools': expected an array, but got ${typeName(body.tools)} instead.`,
        'tools',
        'invalid_type',
      )
    }
    for (let i = 0; i < body.tools.length; i++) {
      const tool = body.tools[i]
      if (!isObject(tool) || typeof tool.type !== 'string') {
        return openaiError(
          400,
          `Missing required parameter: 'tools[${i}].type'.`,
          `tools[${i}].type`,
          'missing_required_parameter',
        )
      }
      if (tool.type === 'function' && (typeof tool.name !== 'string' || tool.name.length === 0)) {
        return openaiError(
          400,
          `Missing required parameter: 'tools[${i}].name'.`,
          `tools[${i}].name`,
          'missing_required_parameter',
        )
      }
    }
  }
  if (isObject(body.reasoning) && body.reasoning.effort !== undefined && body.reasoning.effort !== null) {
    const effort = body.reasoning.effort
    const allowed = model.supported_reasoning_levels.map((l) => l.effort)
    if (typeof effort !== 'string' || !allowed.includes(effort)) {
      return openaiError(
        400,
        `Unsupported value: '${String(effort)}' is not supported with the '${model.slug}' model. Supported values are: ${quoteList(allowed)}.`,
        'reasoning.effort',
        'unsupported_value',
      )
    }
  }
  if (typeof body.service_tier === 'string' && !['auto', 'default'].includes(body.service_tier)) {
    const tiers = model.service_tiers.map((t) => t.id)
    if (!tiers.includes(body.service_tier)) return detail(400, 'Unsupported parameter: service_tier')
  }
  return { body, input, model }
}

export function isRejection(value: ValidatedRequest | Rejection): value is Rejection {
  return 'status' in value
}

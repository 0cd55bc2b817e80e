import type { EmulatorModel } from '../types'
import { compareVersions, parseVersion } from './version'

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

/** The backend's message when a trigger is followed by other input items. */
export const TRIGGER_NOT_LAST = "The 'compaction_trigger' item must be the final input item."

/** Efforts the catalog lists for a model but the backend refuses (seen for gpt-6-astra). */
const REFUSED_EFFORTS: Record<string, readonly string[]> = { 'gpt-6-astra': ['ultra'] }

/** Service tiers the backend knows; anything else is refused by name. */
const KNOWN_TIERS: readonly string[] = ['auto', 'default', 'flex', 'priority', 'scale']

/** The 400 body of a model above the caller's client version. */
export function requiresNewerVersion(slug: string): string {
  return `The '${slug}' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again.`
}

const detail = (status: number, message: string): Rejection => ({ status, body: { detail: message } })

/** Fields of an OpenAI-style error envelope. */
export interface OpenaiErrorFields {
  status: number
  message: string
  param: string | null
  code: string | null
  /** @default 'invalid_request_error' */
  type?: string
}

/** An OpenAI-style rejection: `{ error: { message, type, param, code } }`. */
export function openaiError(fields: OpenaiErrorFields): Rejection {
  const { status, message, param, code, type = 'invalid_request_error' } = fields
  return { status, body: { error: { message, type, param, code } } }
}

const invalidType = (param: string, message: string): Rejection =>
  openaiError({ status: 400, message, param, code: 'invalid_type' })

const missingParameter = (param: string): Rejection =>
  openaiError({
    status: 400,
    message: `Missing required parameter: '${param}'.`,
    param,
    code: 'missing_required_parameter',
  })

const notPersisted = (id: string): Rejection =>
  openaiError({
    status: 404,
    message: `Item with id '${id}' not found. ${ITEM_NOT_PERSISTED}`,
    param: 'input',
    code: null,
  })

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

/** The input as a list of items (a string becomes one user message), or the rejection. */
function normaliseInput(value: unknown): unknown[] | Rejection {
  if (value === undefined || value === null) return []
  if (typeof value === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: value }] }]
  }
  if (Array.isArray(value)) return value
  return invalidType(
    'input',
    `Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(value)} instead.`,
  )
}

/** Items must be inline (no ids, no references), no system role, tool outputs answer earlier calls. */
function checkInputItems(input: unknown[]): Rejection | null {
  const calls = new Set<string>()
  for (let i = 0; i < input.length; i++) {
    const item = input[i]
    if (!isObject(item)) {
      return invalidType(
        `input[${i}]`,
        `Invalid type for 'input[${i}]': expected an input item object, but got ${typeName(item)} instead.`,
      )
    }
    if (item.type === 'item_reference') return notPersisted(String(item.id))
    if (typeof item.id === 'string' && item.id.length > 0) return notPersisted(item.id)
    if (item.role === 'system') return detail(400, 'System messages are not allowed')
    if (item.type === 'compaction_trigger' && i !== input.length - 1) {
      return openaiError({ status: 400, message: TRIGGER_NOT_LAST, param: 'input', code: null })
    }
    if (item.type === 'function_call' && typeof item.call_id === 'string') calls.add(item.call_id)
    if (item.type === 'custom_tool_call' && typeof item.call_id === 'string') calls.add(item.call_id)
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      if (typeof item.call_id !== 'string' || !calls.has(item.call_id)) {
        return openaiError({
          status: 400,
          message: `No tool call found for function call output with call_id ${String(item.call_id)}.`,
          param: 'input',
          code: null,
        })
      }
    }
  }
  return null
}

function checkTools(tools: unknown): Rejection | null {
  if (tools === undefined || tools === null) return null
  if (!Array.isArray(tools)) {
    return invalidType(
      'tools',
      `Invalid type for 'tools': expected an array, but got ${typeName(tools)} instead.`,
    )
  }
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i]
    if (!isObject(tool) || typeof tool.type !== 'string') return missingParameter(`tools[${i}].type`)
    if (tool.type === 'function' && (typeof tool.name !== 'string' || tool.name.length === 0)) {
      return missingParameter(`tools[${i}].name`)
    }
  }
  return null
}

/** Reasoning effort and service tier must be ones the model offers. */
function checkModelOptions(body: Json, model: EmulatorModel): Rejection | null {
  if (isObject(body.reasoning) && body.reasoning.effort !== undefined && body.reasoning.effort !== null) {
    const effort = body.reasoning.effort
    const refused = REFUSED_EFFORTS[model.slug] ?? []
    const allowed = model.supported_reasoning_levels.map((l) => l.effort).filter((e) => !refused.includes(e))
    if (typeof effort !== 'string' || !allowed.includes(effort)) {
      return openaiError({
        status: 400,
        message: `Unsupported value: '${String(effort)}' is not supported with the '${model.slug}' model. Supported values are: ${quoteList(allowed)}.`,
        param: 'reasoning.effort',
        code: 'unsupported_value',
      })
    }
  }
  if (typeof body.service_tier === 'string' && !['auto', 'default'].includes(body.service_tier)) {
    if (!KNOWN_TIERS.includes(body.service_tier)) {
      return detail(400, `Unsupported service_tier: ${body.service_tier}`)
    }
    const tiers = model.service_tiers.map((t) => t.id)
    if (!tiers.includes(body.service_tier)) return detail(400, 'Unsupported parameter: service_tier')
  }
  return null
}

/** Store, stream, unsupported parameters and previous_response_id, checked before the model. */
function checkEnvelope(body: Json): Rejection | null {
  if (body.store !== false) return detail(400, 'Store must be set to false')
  if (body.stream !== true) return detail(400, 'Stream must be set to true')
  for (const name of UNSUPPORTED_PARAMETERS) {
    if (body[name] !== undefined && body[name] !== null) return detail(400, `Unsupported parameter: ${name}`)
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    return openaiError({
      status: 400,
      message: `Previous response with id '${String(body.previous_response_id)}' not found.`,
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    })
  }
  return null
}

/**
 * Validate a `/responses` body the way the Codex backend does, in a fixed order. Returns the
 * normalised request (string input wrapped as one user message) or the exact rejection.
 * `clientVersion` (from the `version` header or the user agent) gates models by their
 * `minimal_client_version`; null lets every model through.
 */
export function validateResponsesBody(
  parsed: unknown,
  catalog: EmulatorModel[],
  clientVersion: number[] | null = null,
): ValidatedRequest | Rejection {
  if (!isObject(parsed)) {
    return openaiError({
      status: 400,
      message: 'We could not parse the JSON body of your request. The API expects a JSON object.',
      param: null,
      code: null,
    })
  }
  const body = parsed
  const envelope = checkEnvelope(body)
  if (envelope) return envelope
  if (typeof body.model !== 'string' || body.model.length === 0) return missingParameter('model')
  const model = catalog.find((m) => m.slug === body.model)
  if (!model) {
    return detail(400, `The '${body.model}' model is not supported when using Codex with a ChatGPT account.`)
  }
  const minimal = parseVersion(model.minimal_client_version)
  if (clientVersion && minimal && compareVersions(clientVersion, minimal) < 0) {
    return detail(400, requiresNewerVersion(model.slug))
  }
  if (
    body.instructions !== undefined &&
    body.instructions !== null &&
    typeof body.instructions !== 'string'
  ) {
    return invalidType(
      'instructions',
      `Invalid type for 'instructions': expected a string, but got ${typeName(body.instructions)} instead.`,
    )
  }
  const input = normaliseInput(body.input)
  if (isRejection(input)) return input
  const rejection = checkInputItems(input) ?? checkTools(body.tools) ?? checkModelOptions(body, model)
  if (rejection) return rejection
  return { body, input, model }
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'status' in value
}

import { jsonObjectFormat, ordered } from './_internal/common'
import {
  isPositiveCount,
  isUnset,
  orderIgnored,
  REFERENCE_STRIPPED,
  rejectUnsupported,
} from './_internal/parameters'
import { normalizeJsonSchema } from './_internal/schema'
import { checkToolDepth } from './_internal/tool-depth'
import {
  checkStore,
  cloneJson,
  conversationId,
  derivedSessionId,
  forwardedServiceTier,
  Invalid,
  invalid,
  isObject,
  promptCacheKey,
  readInstructions,
  readModel,
  readStream,
  toValidationError,
  userSessionId,
} from './_internal/util'
import type {
  Adaptation,
  FileReference,
  JsonObject,
  ResponsesInputItem,
  ResponsesRequest,
  TranslateOptions,
  TranslationResult,
} from './types'

/**
 * Fields the backend rejects or cannot honour over HTTP with `store=false`
 * (upstream-protocol §8.3); removed and reported. Everything not listed passes through.
 */
const STRIPPED: readonly string[] = [
  ...REFERENCE_STRIPPED,
  'logit_bias',
  'max_tool_calls',
  'metadata',
  'prompt_cache_retention',
  'safety_identifier',
  'seed',
  'stop',
  'stream_options',
  'truncation',
  'user',
]

/** Removed without a report: their accepted values are what the backend does anyway. */
const DROPPED_SILENTLY: readonly string[] = [
  'background',
  'top_logprobs',
  'conversation',
  'store',
  'stream',
  // Honoured by the caller (the relay keeps its recent responses): see `context.previousResponseId`.
  'previous_response_id',
]

/** Reads `previous_response_id`: a non-empty string, or null / absent. */
function readPreviousResponseId(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string' && value.trim() !== '') return value
  return invalid('`previous_response_id` must be a non-empty string.', 'previous_response_id', 'invalid_type')
}

function textOfSystemItem(item: JsonObject, param: string): string {
  const content = item.content
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) {
    return invalid(`\`${param}.content\` must be a string or an array.`, `${param}.content`, 'invalid_type')
  }
  return content
    .map((part, j) => {
      const partParam = `${param}.content[${j}]`
      if (!isObject(part)) return invalid(`\`${partParam}\` must be an object.`, partParam, 'invalid_type')
      if (part.type === 'input_text' || part.type === 'text' || part.type === 'output_text') {
        if (typeof part.text !== 'string') {
          invalid(`\`${partParam}.text\` must be a string.`, `${partParam}.text`, 'invalid_type')
        }
        return part.text
      }
      if (part.type === 'input_image') return '[image]'
      return invalid(
        `Unsupported content part \`${String(part.type)}\` in a system message.`,
        `${partParam}.type`,
        'unsupported_value',
      )
    })
    .join('\n')
}

function isFilePart(part: unknown): part is JsonObject {
  if (!isObject(part)) return false
  if (typeof part.file_id === 'string' && part.file_id !== '') return true
  return part.type === 'input_file' || part.type === 'file'
}

function fileRefsOf(item: JsonObject, index: number, param: string): FileReference[] {
  const refs: FileReference[] = []
  for (const key of ['content', 'output'] as const) {
    const list = item[key]
    if (!Array.isArray(list)) continue
    list.forEach((part, j) => {
      if (!isFilePart(part)) return
      refs.push({
        path: ['input', index, key, j],
        param: `${param}.${key}[${j}]`,
        partType: String(part.type),
        fileId: typeof part.file_id === 'string' && part.file_id !== '' ? part.file_id : null,
      })
    })
  }
  return refs
}

function readInput(value: unknown): unknown[] {
  if (typeof value === 'string') {
    return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: value }] }]
  }
  if (Array.isArray(value)) return value
  if (isObject(value)) return [value]
  return invalid(
    'Responses requests must include `input` as a string, object, or array.',
    'input',
    value === undefined || value === null ? 'missing_required_parameter' : 'invalid_type',
  )
}

function normalizeText(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined
  if (!isObject(value)) invalid('`text` must be an object.', 'text', 'invalid_type')
  const text = cloneJson(value)
  const format = text.format
  if (format === undefined || format === null) return text
  if (!isObject(format)) invalid('`text.format` must be an object.', 'text.format', 'invalid_type')
  switch (format.type) {
    case 'text':
      return text
    case 'json_object':
      text.format = jsonObjectFormat()
      return text
    case 'json_schema': {
      if (typeof format.name !== 'string' || format.name.trim() === '') {
        invalid('`text.format.name` must be a non-empty string.', 'text.format.name', 'invalid_value')
      }
      if (!isObject(format.schema)) {
        invalid('`text.format.schema` must be a JSON schema object.', 'text.format.schema', 'invalid_type')
      }
      text.format = { ...format, schema: normalizeJsonSchema(format.schema, 'text.format.schema') }
      return text
    }
    default:
      return invalid('Unsupported `text.format.type` value.', 'text.format.type', 'unsupported_value')
  }
}

/**
 * The Responses normalisation; throws {@link Invalid} for bad input. Also used by the chat route
 * for Responses-shaped bodies (Cursor).
 */
export function normalizeResponsesBody(body: unknown, options: TranslateOptions): TranslationResult {
  if (!isObject(body)) invalid('Request body must be a JSON object.', null, 'invalid_request')
  checkToolDepth(body)
  const rejected: string[] = []
  if (!isUnset(body.background) && body.background !== false) rejected.push('background')
  if (isPositiveCount(body.top_logprobs)) rejected.push('top_logprobs')
  rejectUnsupported('responses', rejected)
  if (options.noTools === true) {
    if (Array.isArray(body.tools) ? body.tools.length > 0 : !isUnset(body.tools)) {
      invalid('This route disables tools.', 'tools', 'tools_disabled')
    }
    if (!isUnset(body.tool_choice) && body.tool_choice !== 'none') {
      invalid('This route disables tools.', 'tool_choice', 'tools_disabled')
    }
  }
  checkStore(body)
  const model = readModel(body)
  const previousResponseId = readPreviousResponseId(body.previous_response_id)
  const items = readInput(body.input)
  const stream = readStream(body)
  const tools = body.tools ?? []
  if (!Array.isArray(tools)) invalid('`tools` must be an array.', 'tools', 'invalid_type')

  const instructionParts: string[] = []
  const given = readInstructions(body.instructions)
  if (given !== null) instructionParts.push(given)
  const input: ResponsesInputItem[] = []
  const fileRefs: FileReference[] = []
  let idsRemoved = 0
  let referencesDropped = 0
  let systemMoved = 0
  items.forEach((raw, i) => {
    const param =
      typeof body.input === 'string' ? 'input' : Array.isArray(body.input) ? `input[${i}]` : 'input'
    if (!isObject(raw)) invalid(`\`${param}\` must be an object.`, param, 'invalid_type')
    if (raw.type === 'item_reference') {
      referencesDropped += 1
      return
    }
    if (raw.role === 'system' && (raw.type === undefined || raw.type === 'message')) {
      instructionParts.push(textOfSystemItem(raw, param))
      systemMoved += 1
      return
    }
    const item = cloneJson(raw)
    if (Object.hasOwn(item, 'id')) {
      delete item.id
      idsRemoved += 1
    }
    fileRefs.push(...fileRefsOf(item, input.length, param))
    input.push(item)
  })
  const joined = instructionParts.filter((part) => part.trim() !== '').join('\n\n')
  const instructions = joined === '' ? '.' : joined

  const request: ResponsesRequest = {
    ...cloneJson(body),
    model,
    instructions,
    input,
    tools: cloneJson(tools),
    store: false,
    stream: true,
    prompt_cache_key: '',
  }
  const text = normalizeText(body.text)
  if (text !== undefined) request.text = text

  const ignored: string[] = []
  for (const key of [...STRIPPED, ...DROPPED_SILENTLY]) {
    if (!Object.hasOwn(body, key)) continue
    delete request[key]
    if (STRIPPED.includes(key)) ignored.push(key)
  }
  request.store = false
  request.stream = true
  const tier = forwardedServiceTier(body.service_tier)
  if (tier !== null) request.service_tier = tier
  else if (Object.hasOwn(body, 'service_tier')) {
    delete request.service_tier
    ignored.push('service_tier')
  }

  const firstUser = input.find((item) => isObject(item) && item.role === 'user') ?? input[0]
  const sessionId =
    conversationId(body.conversation) ??
    promptCacheKey(body.prompt_cache_key) ??
    userSessionId(body) ??
    derivedSessionId(instructions, isObject(firstUser) ? firstUser.content : firstUser)
  request.prompt_cache_key = sessionId

  const adaptations: Adaptation[] = []
  if (systemMoved > 0) {
    adaptations.push({
      code: 'system_messages_to_instructions',
      count: systemMoved,
      message: `Moved ${systemMoved} system message(s) into \`instructions\`; the backend rejects system-role input.`,
    })
  }
  if (idsRemoved > 0) {
    adaptations.push({
      code: 'input_item_ids_removed',
      count: idsRemoved,
      message: `Removed \`id\` from ${idsRemoved} input item(s); with store=false the backend cannot resolve stored items.`,
    })
  }
  if (referencesDropped > 0) {
    adaptations.push({
      code: 'item_references_dropped',
      count: referencesDropped,
      message: `Dropped ${referencesDropped} \`item_reference\` item(s); with store=false the backend cannot resolve them.`,
    })
  }

  return {
    ok: true,
    request: ordered(request),
    ignoredParameters: orderIgnored(ignored),
    adaptations,
    sessionId,
    fileRefs,
    context: {
      route: 'responses',
      model,
      stream,
      includeUsage: false,
      toolNameMap: {},
      ...(previousResponseId !== null ? { previousResponseId } : {}),
      ...(body.store === false ? { store: false as const } : {}),
    },
  }
}

/**
 * Normalises a `/v1/responses` request body for the Codex backend: `input` forms, `store`,
 * `instructions`, system items, stored-item ids and references, `conversation`,
 * `prompt_cache_key`, rejected fields and `text.format`. Everything else passes through.
 * `previous_response_id` is removed from the request (the backend stores nothing) and handed to
 * the caller as `context.previousResponseId`, to expand from responses it kept.
 *
 * Never throws for bad input: a failure comes back as `{ ok: false, error }`.
 */
export function normalizeResponsesRequest(body: unknown, options: TranslateOptions = {}): TranslationResult {
  try {
    return normalizeResponsesBody(body, options)
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: toValidationError(error) }
    throw error
  }
}

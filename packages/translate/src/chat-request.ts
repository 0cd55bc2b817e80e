import { type ChatHistory, readChatMessages } from './_internal/chat-messages'
import { jsonObjectFormat, jsonSchemaFormat, ordered, readReasoning } from './_internal/common'
import {
  ignoredKeys,
  isPositiveCount,
  isUnset,
  orderIgnored,
  rejectUnsupported,
} from './_internal/parameters'
import { readStop } from './_internal/stop'
import { checkToolDepth } from './_internal/tool-depth'
import {
  type ClientToolChoice,
  type FunctionDefinition,
  flattenTools,
  readChatTools,
  readFunctionCall,
  readLegacyFunctions,
  readToolChoice,
  ToolNames,
  upstreamToolChoice,
} from './_internal/tools'
import {
  checkN,
  checkStore,
  conversationId,
  derivedSessionId,
  forwardedServiceTier,
  Invalid,
  invalid,
  isObject,
  promptCacheKey,
  readEffort,
  readIncludeUsage,
  readInstructions,
  readModel,
  readStream,
  toValidationError,
  userSessionId,
} from './_internal/util'
import { normalizeResponsesBody } from './responses-request'
import type {
  Adaptation,
  JsonObject,
  ResponsesFunctionTool,
  ResponsesRequest,
  ResponsesTextFormat,
  ResponsesToolChoice,
  TranslateOptions,
  TranslationResult,
} from './types'

/** Chat body keys the translator reads (everything else is reported as ignored). */
const HANDLED: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'functions',
  'tool_choice',
  'function_call',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'reasoning',
  'verbosity',
  'instructions',
  'conversation',
  'prompt_cache_key',
  'service_tier',
  'n',
  'store',
  'logprobs',
  'top_logprobs',
  'modalities',
  'audio',
  'prediction',
  'web_search_options',
  'stop',
])

function readResponseFormat(value: unknown): ResponsesTextFormat | null {
  if (value === undefined || value === null) return null
  if (!isObject(value)) invalid('`response_format` must be an object.', 'response_format', 'invalid_type')
  switch (value.type) {
    case 'text':
      return null
    case 'json_object':
      return jsonObjectFormat()
    case 'json_schema': {
      const schema = value.json_schema
      if (!isObject(schema)) {
        invalid(
          '`response_format.json_schema` must be an object.',
          'response_format.json_schema',
          'missing_required_parameter',
        )
      }
      return jsonSchemaFormat(schema, 'response_format.json_schema')
    }
    default:
      return invalid('Unsupported `response_format.type` value.', 'response_format.type', 'unsupported_value')
  }
}

function checkUnsupported(body: JsonObject): void {
  const offending: string[] = []
  if (!isUnset(body.audio)) offending.push('audio')
  const modalities = body.modalities
  if (!isUnset(modalities) && !(Array.isArray(modalities) && modalities.every((m) => m === 'text'))) {
    offending.push('modalities')
  }
  if (!isUnset(body.prediction)) offending.push('prediction')
  if (!isUnset(body.logprobs) && body.logprobs !== false) offending.push('logprobs')
  if (isPositiveCount(body.top_logprobs)) offending.push('top_logprobs')
  if (!isUnset(body.web_search_options)) offending.push('web_search_options')
  rejectUnsupported('chat.completions', offending)
}

function nonEmptyList(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : !isUnset(value)
}

function checkNoTools(body: JsonObject): void {
  for (const key of ['tools', 'functions'] as const) {
    if (nonEmptyList(body[key])) invalid('This route disables tools.', key, 'tools_disabled')
  }
  for (const key of ['tool_choice', 'function_call'] as const) {
    if (!isUnset(body[key]) && body[key] !== 'none')
      invalid('This route disables tools.', key, 'tools_disabled')
  }
}

function checkBody(body: unknown, options: TranslateOptions): asserts body is JsonObject {
  if (!isObject(body)) invalid('Request body must be a JSON object.', null, 'invalid_request')
  checkUnsupported(body)
  checkN(body)
  if (options.noTools === true) checkNoTools(body)
  checkStore(body)
}

function readMessages(body: JsonObject): unknown[] {
  const messages = body.messages
  if (messages === undefined || messages === null) {
    invalid('`messages` is required.', 'messages', 'missing_required_parameter')
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    invalid('`messages` must be a non-empty array.', 'messages', 'invalid_value')
  }
  return messages
}

/** The client's tool definitions and the name table they were registered in. */
interface ToolSetup {
  definitions: FunctionDefinition[]
  names: ToolNames
  noTools: boolean
}

interface ToolPlan {
  tools: (ResponsesFunctionTool | JsonObject)[]
  toolChoice: ResponsesToolChoice | JsonObject
  parallelToolCalls?: boolean
}

/** Tools and tool choice; the names of history calls are shortened the same way as the tools. */
function planTools(body: JsonObject, history: ChatHistory, setup: ToolSetup): ToolPlan {
  const { definitions, names, noTools } = setup
  names.reserve(history.historyCalls.map((call) => call.client))
  const tools = noTools ? [] : flattenTools(definitions, names)
  for (const { item, client } of history.historyCalls) item.name = names.upstream(client)
  const defined = new Set(definitions.map((d) => d.name))
  const custom = new Set(definitions.filter((d) => d.custom !== undefined).map((d) => d.name))
  let choice: ClientToolChoice | null = readToolChoice(body.tool_choice)
  const legacyChoice = readFunctionCall(body.function_call)
  const choiceParam = choice === null && legacyChoice !== null ? 'function_call' : 'tool_choice'
  choice ??= legacyChoice
  const toolChoice = upstreamToolChoice(choice ?? (tools.length > 0 ? 'auto' : 'none'), {
    defined,
    custom,
    names,
    param: choiceParam,
  })
  if (tools.length === 0) return { tools, toolChoice }
  const parallel = body.parallel_tool_calls
  if (!isUnset(parallel) && typeof parallel !== 'boolean') {
    invalid('`parallel_tool_calls` must be a boolean.', 'parallel_tool_calls', 'invalid_type')
  }
  return { tools, toolChoice, parallelToolCalls: typeof parallel === 'boolean' ? parallel : true }
}

/** `reasoning`, `include` and `text` (format, verbosity) of the request. */
function applyOutputOptions(body: JsonObject, request: ResponsesRequest): void {
  const plan = readReasoning(body)
  if (plan.reasoning !== undefined) request.reasoning = plan.reasoning
  request.include = plan.include

  const format = readResponseFormat(body.response_format)
  const verbosity = readEffort(body.verbosity, 'verbosity')
  if (format !== null || verbosity !== null) {
    request.text = {}
    if (format !== null) request.text.format = format
    if (verbosity !== null) request.text.verbosity = verbosity
  }
}

function shortenedNames(names: ToolNames): Adaptation[] {
  if (names.shortenedCount === 0) return []
  return [
    {
      code: 'tool_names_shortened',
      count: names.shortenedCount,
      message: `Shortened ${names.shortenedCount} function name(s) longer than 64 characters; they are mapped back in the response.`,
    },
  ]
}

/** Chat tools as flat Responses tools (a Responses-shaped body may still nest `function`). */
function flatResponsesTools(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  return value.map((tool) => {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) return tool
    const { function: fn, ...rest } = tool
    return { ...rest, ...fn, type: 'function' }
  })
}

/** Responses input items must answer earlier calls; a chat `role: "tool"` item has no place there. */
function checkResponsesShapedInput(input: unknown): void {
  if (!Array.isArray(input)) return
  const calls = new Set<string>()
  input.forEach((item, i) => {
    if (!isObject(item)) return
    const param = `input[${i}]`
    if (item.role === 'tool') {
      invalid(
        `\`${param}\` has role "tool", which Responses input does not take; send a \`function_call_output\` item answering an earlier \`function_call\`.`,
        `${param}.role`,
        'unsupported_value',
      )
    }
    if (
      (item.type === 'function_call' || item.type === 'custom_tool_call') &&
      typeof item.call_id === 'string'
    )
      calls.add(item.call_id)
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      if (typeof item.call_id !== 'string' || !calls.has(item.call_id)) {
        invalid(
          `No tool call found for the tool output with call_id \`${String(item.call_id)}\`; the call must come before it.`,
          `${param}.call_id`,
          'invalid_value',
        )
      }
    }
  })
}

/**
 * A Responses-shaped body on the chat route (Cursor): `input` (and flat tools, `custom` ones
 * included) instead of `messages`. The request is normalised as on `/v1/responses`; the answer
 * is still a chat completion. `response_format`, `stop` and `stream_options` keep their chat
 * meaning.
 */
function translateResponsesShaped(body: JsonObject, options: TranslateOptions): TranslationResult {
  checkN(body)
  checkResponsesShapedInput(body.input)
  const { response_format: responseFormat, stop, stream_options: _streamOptions, n: _n, ...rest } = body
  if (rest.tools !== undefined) rest.tools = flatResponsesTools(rest.tools)
  const includeUsage = readIncludeUsage(body)
  const stops = readStop(stop)
  const inner = normalizeResponsesBody(rest, options)
  if (!inner.ok) return inner
  const request = inner.request
  const format = readResponseFormat(responseFormat)
  if (format !== null && !(isObject(request.text) && request.text.format !== undefined)) {
    request.text = { ...(isObject(request.text) ? request.text : {}), format }
  }
  const context = {
    ...inner.context,
    route: 'chat' as const,
    includeUsage,
    ...(stops.length > 0 ? { stop: stops } : {}),
  }
  return { ...inner, request: ordered(request), context }
}

function translate(body: unknown, options: TranslateOptions): TranslationResult {
  checkToolDepth(body)
  if (isObject(body) && body.messages === undefined && body.input !== undefined) {
    return translateResponsesShaped(body, options)
  }
  checkBody(body, options)
  const messages = readMessages(body)
  const model = readModel(body)
  const stream = readStream(body)
  const includeUsage = readIncludeUsage(body)

  const stop = readStop(body.stop)
  const definitions = [...readChatTools(body.tools), ...readLegacyFunctions(body.functions)]
  const names = new ToolNames()
  names.reserve(definitions.map((d) => d.name))
  const customTools = new Set(definitions.filter((d) => d.custom !== undefined).map((d) => d.name))

  const history = readChatMessages(messages, readInstructions(body.instructions), customTools)
  const plan = planTools(body, history, { definitions, names, noTools: options.noTools === true })
  const request: ResponsesRequest = {
    model,
    instructions: '',
    input: history.input,
    tools: plan.tools,
    tool_choice: plan.toolChoice,
    store: false,
    stream: true,
    prompt_cache_key: '',
  }
  if (plan.parallelToolCalls !== undefined) request.parallel_tool_calls = plan.parallelToolCalls

  const instructions = history.instructionParts.filter((part) => part.trim() !== '').join('\n\n')
  request.instructions = instructions === '' ? '.' : instructions
  applyOutputOptions(body, request)

  const sessionId =
    conversationId(body.conversation) ??
    promptCacheKey(body.prompt_cache_key) ??
    userSessionId(body) ??
    derivedSessionId(request.instructions, history.firstUser)
  request.prompt_cache_key = sessionId
  const tier = forwardedServiceTier(body.service_tier)
  if (tier !== null) request.service_tier = tier

  const ignored = ignoredKeys(body, HANDLED)
  if (Object.hasOwn(body, 'service_tier') && tier === null) ignored.push('service_tier')

  return {
    ok: true,
    request: ordered(request),
    ignoredParameters: orderIgnored(ignored),
    adaptations: shortenedNames(names),
    sessionId,
    fileRefs: history.fileRefs,
    context: {
      route: 'chat',
      model,
      stream,
      includeUsage,
      toolNameMap: names.reverseMap,
      ...(stop.length > 0 ? { stop } : {}),
    },
  }
}

/**
 * Translates a Chat Completions request body into a Codex backend Responses request.
 *
 * Never throws for bad input: a failure comes back as `{ ok: false, error }` with a 400
 * `invalid_request_error` naming the offending parameter path in `param`.
 */
export function translateChatRequest(body: unknown, options: TranslateOptions = {}): TranslationResult {
  try {
    return translate(body, options)
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: toValidationError(error) }
    throw error
  }
}

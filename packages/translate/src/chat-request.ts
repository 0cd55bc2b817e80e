import { jsonSchemaFormat, ordered, readReasoning } from './_internal/common'
import {
  ignoredKeys,
  isPositiveCount,
  isUnset,
  orderIgnored,
  rejectUnsupported,
} from './_internal/parameters'
import {
  type ClientToolChoice,
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
  cloneJson,
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
} from './_internal/util'
import type {
  Adaptation,
  FileReference,
  JsonObject,
  ResponsesContentPart,
  ResponsesInputItem,
  ResponsesRequest,
  ResponsesTextFormat,
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
])

function describe(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

function unsupportedPart(type: unknown, param: string): never {
  return invalid(`Unsupported chat content part \`${describe(type)}\`.`, `${param}.type`, 'unsupported_value')
}

function partsOf(content: unknown, param: string): JsonObject[] {
  if (!Array.isArray(content)) {
    return invalid(
      `\`${param}\` must be a string, an array of content parts, or null.`,
      param,
      'invalid_type',
    )
  }
  return content.map((part, j) => {
    if (!isObject(part)) invalid(`\`${param}[${j}]\` must be an object.`, `${param}[${j}]`, 'invalid_type')
    return part
  })
}

function textOf(part: JsonObject, param: string): string {
  if (typeof part.text !== 'string')
    invalid(`\`${param}.text\` must be a string.`, `${param}.text`, 'invalid_type')
  return part.text
}

/** system/developer content: string, or text parts joined with "\n" (images as "[image]"). */
function instructionText(content: unknown, param: string): string {
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  return partsOf(content, param)
    .map((part, j) => {
      if (part.type === 'text') return textOf(part, `${param}[${j}]`)
      if (part.type === 'image_url') return '[image]'
      return unsupportedPart(part.type, `${param}[${j}]`)
    })
    .join('\n')
}

/** tool message content: string, or text parts joined with "\n". */
function toolOutput(content: unknown, param: string): string {
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  return partsOf(content, param)
    .map((part, j) =>
      part.type === 'text' ? textOf(part, `${param}[${j}]`) : unsupportedPart(part.type, `${param}[${j}]`),
    )
    .join('\n')
}

interface PendingRef {
  contentIndex: number
  ref: Omit<FileReference, 'path'>
}

function userParts(content: unknown, param: string, refs: PendingRef[]): ResponsesContentPart[] {
  if (content === undefined || content === null) {
    return invalid(`\`${param}\` is required for user messages.`, param, 'missing_required_parameter')
  }
  if (typeof content === 'string') return [{ type: 'input_text', text: content }]
  const out: ResponsesContentPart[] = []
  partsOf(content, param).forEach((part, j) => {
    const partParam = `${param}[${j}]`
    const keep = (fileId: string | null): void => {
      refs.push({ contentIndex: out.length, ref: { param: partParam, partType: String(part.type), fileId } })
      out.push(cloneJson(part) as ResponsesContentPart)
    }
    if (part.type === 'text') {
      out.push({ type: 'input_text', text: textOf(part, partParam) })
    } else if (part.type === 'image_url') {
      const image = part.image_url
      if (typeof image === 'string' && image !== '') {
        out.push({ type: 'input_image', image_url: image, detail: 'auto' })
      } else if (isObject(image) && typeof image.file_id === 'string' && image.file_id !== '') {
        keep(image.file_id)
      } else if (isObject(image) && typeof image.url === 'string' && image.url !== '') {
        const detail = image.detail ?? 'auto'
        if (typeof detail !== 'string') {
          invalid(
            `\`${partParam}.image_url.detail\` must be a string.`,
            `${partParam}.image_url.detail`,
            'invalid_type',
          )
        }
        out.push({ type: 'input_image', image_url: image.url, detail })
      } else {
        invalid(
          `\`${partParam}.image_url\` must carry a non-empty \`url\` or \`file_id\`.`,
          `${partParam}.image_url`,
          'invalid_value',
        )
      }
    } else if (part.type === 'file') {
      const file = part.file
      const fileId =
        isObject(file) && typeof file.file_id === 'string' && file.file_id !== '' ? file.file_id : null
      if (
        fileId === null &&
        !(isObject(file) && typeof file.file_data === 'string' && file.file_data !== '')
      ) {
        invalid(
          `\`${partParam}.file\` must carry a non-empty \`file_id\` or \`file_data\`.`,
          `${partParam}.file`,
          'invalid_value',
        )
      }
      keep(fileId)
    } else if (typeof part.file_id === 'string' && part.file_id !== '') {
      keep(part.file_id)
    } else if (part.type === 'refusal') {
      invalid('Refusal parts are only valid in assistant messages.', `${partParam}.type`, 'unsupported_value')
    } else {
      unsupportedPart(part.type, partParam)
    }
  })
  return out
}

function assistantParts(message: JsonObject, param: string): ResponsesContentPart[] {
  const out: ResponsesContentPart[] = []
  const content = message.content
  if (typeof content === 'string') {
    if (content !== '') out.push({ type: 'output_text', text: content })
  } else if (content !== undefined && content !== null) {
    partsOf(content, `${param}.content`).forEach((part, j) => {
      const partParam = `${param}.content[${j}]`
      if (part.type === 'text') {
        const text = textOf(part, partParam)
        if (text !== '') out.push({ type: 'output_text', text })
      } else if (part.type === 'refusal') {
        if (typeof part.refusal !== 'string') {
          invalid(`\`${partParam}.refusal\` must be a string.`, `${partParam}.refusal`, 'invalid_type')
        }
        out.push({ type: 'refusal', refusal: part.refusal })
      } else {
        unsupportedPart(part.type, partParam)
      }
    })
  }
  const refusal = message.refusal
  if (refusal !== undefined && refusal !== null) {
    if (typeof refusal !== 'string') {
      invalid(`\`${param}.refusal\` must be a string or null.`, `${param}.refusal`, 'invalid_type')
    }
    if (refusal !== '') out.push({ type: 'refusal', refusal })
  }
  return out
}

interface ClientCall {
  callId: string
  name: string
  arguments: string
}

function assistantCalls(message: JsonObject, param: string, nextId: () => string): ClientCall[] {
  if (!isUnset(message.function_call)) {
    invalid(
      'Legacy assistant `function_call` history is not supported; send `tool_calls` instead.',
      `${param}.function_call`,
      'unsupported_parameter',
    )
  }
  const calls = message.tool_calls
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls))
    invalid(`\`${param}.tool_calls\` must be an array.`, `${param}.tool_calls`, 'invalid_type')
  return calls.map((call, k) => {
    const callParam = `${param}.tool_calls[${k}]`
    if (!isObject(call)) invalid(`\`${callParam}\` must be an object.`, callParam, 'invalid_type')
    if (call.type !== undefined && call.type !== 'function') {
      invalid(
        `Unsupported tool call type \`${describe(call.type)}\`. Only \`function\` calls are supported.`,
        `${callParam}.type`,
        'unsupported_value',
      )
    }
    const fn = call.function
    if (!isObject(fn))
      invalid(`\`${callParam}.function\` must be an object.`, `${callParam}.function`, 'invalid_type')
    if (typeof fn.name !== 'string' || fn.name === '') {
      invalid(
        `\`${callParam}.function.name\` must be a non-empty string.`,
        `${callParam}.function.name`,
        'invalid_type',
      )
    }
    let args = fn.arguments
    if (args === undefined || args === null || args === '') args = '{}'
    else if (isObject(args)) args = JSON.stringify(args)
    else if (typeof args !== 'string') {
      invalid(
        `\`${callParam}.function.arguments\` must be a JSON string.`,
        `${callParam}.function.arguments`,
        'invalid_type',
      )
    }
    const givenId = call.id
    let callId: string
    if (givenId === undefined || givenId === null || givenId === '') callId = nextId()
    else if (typeof givenId === 'string') callId = givenId
    else callId = invalid(`\`${callParam}.id\` must be a string.`, `${callParam}.id`, 'invalid_type')
    return { callId, name: fn.name, arguments: args as string }
  })
}

function readResponseFormat(value: unknown): ResponsesTextFormat | null {
  if (value === undefined || value === null) return null
  if (!isObject(value)) invalid('`response_format` must be an object.', 'response_format', 'invalid_type')
  switch (value.type) {
    case 'text':
      return null
    case 'json_object':
      return invalid(
        '`response_format.type=json_object` is not yet verified against the subscription backend.',
        'response_format.type',
        'unsupported_value',
      )
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

function translate(body: unknown, options: TranslateOptions): TranslationResult {
  if (!isObject(body)) invalid('Request body must be a JSON object.', null, 'invalid_request')
  checkUnsupported(body)
  checkN(body)
  if (options.noTools === true) checkNoTools(body)
  checkStore(body)
  const messages = body.messages
  if (messages === undefined || messages === null) {
    invalid('`messages` is required.', 'messages', 'missing_required_parameter')
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    invalid('`messages` must be a non-empty array.', 'messages', 'invalid_value')
  }
  const model = readModel(body)
  const stream = readStream(body)
  const includeUsage = readIncludeUsage(body)

  const definitions = [...readChatTools(body.tools), ...readLegacyFunctions(body.functions)]
  const names = new ToolNames()
  names.reserve(definitions.map((d) => d.name))

  // Messages -> instructions + input.
  const instructionParts: string[] = []
  const topInstructions = readInstructions(body.instructions)
  if (topInstructions !== null) instructionParts.push(topInstructions)
  const input: ResponsesInputItem[] = []
  const fileRefs: FileReference[] = []
  const knownCallIds = new Set<string>()
  const historyCalls: { item: { name: string }; client: string }[] = []
  let firstUser: unknown
  // Ids for calls that came without one: `call_<n>`, skipping every id the client used.
  const givenIds = new Set<string>()
  for (const message of messages) {
    if (!isObject(message) || !Array.isArray(message.tool_calls)) continue
    for (const call of message.tool_calls)
      if (isObject(call) && typeof call.id === 'string') givenIds.add(call.id)
  }
  let generated = 0
  const nextCallId = (): string => {
    let id = `call_${generated++}`
    while (givenIds.has(id)) id = `call_${generated++}`
    return id
  }

  messages.forEach((message, i) => {
    const param = `messages[${i}]`
    if (!isObject(message)) invalid(`\`${param}\` must be an object.`, param, 'invalid_type')
    const role = message.role
    switch (role) {
      case 'system':
      case 'developer':
        instructionParts.push(instructionText(message.content, `${param}.content`))
        return
      case 'user': {
        const pending: PendingRef[] = []
        const content = userParts(message.content, `${param}.content`, pending)
        if (content.length === 0) return
        const index = input.length
        for (const { contentIndex, ref } of pending) {
          fileRefs.push({ ...ref, path: ['input', index, 'content', contentIndex] })
        }
        input.push({ type: 'message', role: 'user', content })
        firstUser ??= content
        return
      }
      case 'assistant': {
        const content = assistantParts(message, param)
        if (content.length > 0) input.push({ type: 'message', role: 'assistant', content })
        for (const call of assistantCalls(message, param, nextCallId)) {
          knownCallIds.add(call.callId)
          const item = {
            type: 'function_call' as const,
            call_id: call.callId,
            name: call.name,
            arguments: call.arguments,
          }
          historyCalls.push({ item, client: call.name })
          input.push(item)
        }
        return
      }
      case 'tool': {
        const callId = message.tool_call_id
        if (typeof callId !== 'string' || callId === '') {
          invalid(
            `\`${param}.tool_call_id\` is required for tool messages.`,
            `${param}.tool_call_id`,
            'missing_required_parameter',
          )
        }
        if (!knownCallIds.has(callId)) {
          invalid(
            `No tool call found for tool message with tool_call_id \`${callId}\`; ` +
              'the assistant message with that call must come before it.',
            `${param}.tool_call_id`,
            'invalid_value',
          )
        }
        input.push({
          type: 'function_call_output',
          call_id: callId,
          output: toolOutput(message.content, `${param}.content`),
        })
        return
      }
      case undefined:
      case null:
        invalid(`\`${param}.role\` is required.`, `${param}.role`, 'missing_required_parameter')
        return
      default:
        invalid(`Unsupported message role \`${describe(role)}\`.`, `${param}.role`, 'unsupported_value')
    }
  })

  // Tools and tool choice (names of history calls are shortened the same way).
  names.reserve(historyCalls.map((call) => call.client))
  const tools = options.noTools === true ? [] : flattenTools(definitions, names)
  for (const { item, client } of historyCalls) item.name = names.upstream(client)
  const defined = new Set(definitions.map((d) => d.name))
  let choice: ClientToolChoice | null = readToolChoice(body.tool_choice)
  const legacyChoice = readFunctionCall(body.function_call)
  const choiceParam = choice === null && legacyChoice !== null ? 'function_call' : 'tool_choice'
  choice ??= legacyChoice
  const request: ResponsesRequest = {
    model,
    instructions: '',
    input,
    tools,
    tool_choice: upstreamToolChoice(
      choice ?? (tools.length > 0 ? 'auto' : 'none'),
      defined,
      names,
      choiceParam,
    ),
    store: false,
    stream: true,
    prompt_cache_key: '',
  }
  if (tools.length > 0) {
    const parallel = body.parallel_tool_calls
    if (!isUnset(parallel) && typeof parallel !== 'boolean') {
      invalid('`parallel_tool_calls` must be a boolean.', 'parallel_tool_calls', 'invalid_type')
    }
    request.parallel_tool_calls = typeof parallel === 'boolean' ? parallel : true
  }

  const instructions = instructionParts.filter((part) => part.trim() !== '').join('\n\n')
  request.instructions = instructions === '' ? '.' : instructions

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

  const sessionId =
    conversationId(body.conversation) ??
    promptCacheKey(body.prompt_cache_key) ??
    derivedSessionId(request.instructions, firstUser)
  request.prompt_cache_key = sessionId
  const tier = forwardedServiceTier(body.service_tier)
  if (tier !== null) request.service_tier = tier

  const ignored = ignoredKeys(body, HANDLED)
  if (Object.hasOwn(body, 'service_tier') && tier === null) ignored.push('service_tier')

  const adaptations: Adaptation[] = []
  if (names.shortenedCount > 0) {
    adaptations.push({
      code: 'tool_names_shortened',
      count: names.shortenedCount,
      message: `Shortened ${names.shortenedCount} function name(s) longer than 64 characters; they are mapped back in the response.`,
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
      route: 'chat',
      model,
      stream,
      includeUsage,
      toolNameMap: names.reverseMap,
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

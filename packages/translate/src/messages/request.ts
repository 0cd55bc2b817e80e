import { ordered } from '../_internal/common'
import { orderIgnored } from '../_internal/parameters'
import { normalizeJsonSchema } from '../_internal/schema'
import { checkToolDepth } from '../_internal/tool-depth'
import { ToolNames } from '../_internal/tools'
import { derivedSessionId, Invalid, invalid, isObject, toValidationError } from '../_internal/util'
import type { JsonObject, ResponsesInputItem, ResponsesRequest, ResponsesTextFormat } from '../types'
import { type ContentState, readMessages, systemText } from './_content'
import { readTools } from './_tools'
import { resolveClaudeModel } from './models'
import type { MessagesAdaptation, MessagesTranslateOptions, MessagesTranslationResult } from './types'

/** Body keys the translator reads; every other present key is reported as ignored. */
const HANDLED: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'system',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'output_format',
  'speed',
])

/** Anthropic efforts -> Codex efforts (`max` is the backend's `xhigh`). */
const EFFORTS: Readonly<Record<string, string>> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'xhigh',
  max: 'xhigh',
}

/** A thinking budget -> effort: ≤ 1,024 low, ≤ 8,192 medium, ≤ 24,576 high, else xhigh. */
export function budgetEffort(budget: number): string {
  if (budget <= 1024) return 'low'
  if (budget <= 8192) return 'medium'
  if (budget <= 24576) return 'high'
  return 'xhigh'
}

interface ThinkingPlan {
  /** Thinking blocks are returned. */
  wanted: boolean
  /** Summaries are asked for (`display` is not `omitted`). */
  summaries: boolean
  budgetEffort: string | null
}

function readThinking(value: unknown): ThinkingPlan {
  if (value === undefined || value === null) return { wanted: false, summaries: false, budgetEffort: null }
  if (!isObject(value) || !['enabled', 'disabled', 'adaptive'].includes(String(value.type))) {
    return invalid(
      "thinking: Input should be {type: 'enabled' | 'disabled' | 'adaptive'}.",
      'thinking.type',
      'invalid_value',
    )
  }
  if (value.type === 'disabled') return { wanted: false, summaries: false, budgetEffort: null }
  const budget = value.budget_tokens
  if (value.type === 'enabled' && typeof budget !== 'number') {
    invalid(
      'thinking.enabled.budget_tokens: Field required.',
      'thinking.budget_tokens',
      'missing_required_parameter',
    )
  }
  return {
    wanted: true,
    summaries: value.display !== 'omitted',
    budgetEffort: typeof budget === 'number' ? budgetEffort(budget) : null,
  }
}

function readEffort(config: JsonObject | null): string | null {
  const effort = config?.effort
  if (effort === undefined || effort === null) return null
  const mapped = typeof effort === 'string' ? EFFORTS[effort] : undefined
  if (mapped === undefined) {
    return invalid(
      "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'.",
      'output_config.effort',
      'invalid_value',
    )
  }
  return mapped
}

function readFormat(value: unknown, param: string): ResponsesTextFormat | null {
  if (value === undefined || value === null) return null
  if (!isObject(value) || value.type !== 'json_schema' || !isObject(value.schema)) {
    return invalid(`${param}: Input should be {type: 'json_schema', schema: {…}}.`, param, 'invalid_value')
  }
  return {
    type: 'json_schema',
    name: 'output',
    schema: normalizeJsonSchema(value.schema, `${param}.schema`),
    strict: true,
  }
}

function readStopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
    return invalid(
      'stop_sequences: Input should be a valid list of strings.',
      'stop_sequences',
      'invalid_type',
    )
  }
  return value.filter((s) => s !== '')
}

/** The session id from Claude Code's JSON `metadata.user_id` (or its older `…_session_<id>` form). */
function metadataSession(metadata: unknown): string | null {
  if (!isObject(metadata) || typeof metadata.user_id !== 'string') return null
  const userId = metadata.user_id
  try {
    const parsed: unknown = JSON.parse(userId)
    if (isObject(parsed) && typeof parsed.session_id === 'string' && parsed.session_id !== '')
      return parsed.session_id
  } catch {
    // Not JSON: the older form.
  }
  const at = userId.lastIndexOf('_session_')
  return at >= 0 && at + 9 < userId.length ? userId.slice(at + 9) : null
}

function firstUserContent(input: ResponsesInputItem[]): unknown {
  const first = input.find((item) => item.type === 'message' && (item as JsonObject).role === 'user')
  return (first as JsonObject | undefined)?.content
}

const ADAPTATION_TEXT: Record<MessagesAdaptation['code'], string> = {
  attribution_dropped: "Removed Claude Code's attribution system block.",
  foreign_thinking_dropped: 'Removed thinking block(s) without a relay signature for this model.',
  redacted_thinking_dropped: 'Removed redacted_thinking block(s).',
  server_tool_history_dropped: 'Removed server-tool block(s) from the history.',
  server_tools_dropped: 'Removed tool(s) the backend has no equivalent for.',
  tool_names_shortened:
    'Shortened tool name(s) longer than 64 characters; they are mapped back in the response.',
}

function adaptations(counts: ContentState['counts']): MessagesAdaptation[] {
  return (Object.keys(ADAPTATION_TEXT) as MessagesAdaptation['code'][])
    .filter((code) => (counts[code] ?? 0) > 0)
    .map((code) => ({ code, count: counts[code] ?? 0, message: ADAPTATION_TEXT[code] }))
}

function readModel(body: JsonObject): string {
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    return invalid('model: Field required.', 'model', 'missing_required_parameter')
  }
  return body.model
}

function readMessageList(body: JsonObject): unknown[] {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid('messages: Field required (a non-empty list).', 'messages', 'missing_required_parameter')
  }
  return body.messages
}

function translate(body: unknown, options: MessagesTranslateOptions): MessagesTranslationResult {
  if (!isObject(body)) invalid('Request body must be a JSON object.', null, 'invalid_request')
  checkToolDepth(body)
  const model = readModel(body)
  const messages = readMessageList(body)
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    invalid('stream: Input should be a valid boolean.', 'stream', 'invalid_type')
  }
  const target = resolveClaudeModel(model, options.models)
  const state: ContentState = {
    upstreamModel: target.model,
    counts: {},
    cacheControl: false,
    callIds: new Set(),
    calls: [],
  }
  const names = new ToolNames()
  const tools = readTools(body, names)
  const instructions = systemText(body.system, state)
  const input = readMessages(messages, state)
  names.reserve(state.calls.map((call) => call.client))
  for (const call of state.calls) call.item.name = names.upstream(call.client)
  if (tools.dropped.length > 0) state.counts.server_tools_dropped = tools.dropped.length
  if (names.shortenedCount > 0) state.counts.tool_names_shortened = names.shortenedCount

  const config = isObject(body.output_config) ? body.output_config : null
  const thinking = readThinking(body.thinking)
  const effort = readEffort(config) ?? thinking.budgetEffort ?? target.effort
  const request: ResponsesRequest = {
    model: target.model,
    instructions: instructions === '' ? '.' : instructions,
    input,
    tools: tools.tools,
    tool_choice: tools.toolChoice,
    store: false,
    stream: true,
    prompt_cache_key: '',
  }
  if (tools.parallelToolCalls !== undefined) request.parallel_tool_calls = tools.parallelToolCalls
  if (effort !== null || thinking.summaries) {
    request.reasoning = {}
    if (effort !== null) request.reasoning.effort = effort
    if (thinking.summaries) request.reasoning.summary = 'auto'
  }
  request.include = thinking.wanted ? ['reasoning.encrypted_content'] : []
  const format =
    readFormat(config?.format, 'output_config.format') ?? readFormat(body.output_format, 'output_format')
  if (format !== null) request.text = { format }
  if (body.speed === 'fast') request.service_tier = 'priority'

  const sessionId =
    options.sessionId ??
    metadataSession(body.metadata) ??
    derivedSessionId(request.instructions, firstUserContent(input))
  request.prompt_cache_key = sessionId

  const ignored = Object.keys(body).filter((key) => !HANDLED.has(key))
  if (state.cacheControl || tools.cacheControl) ignored.push('cache_control')
  return {
    ok: true,
    request: ordered(request),
    ignoredParameters: orderIgnored(ignored),
    adaptations: adaptations(state.counts),
    sessionId,
    context: {
      model,
      upstreamModel: target.model,
      stream: body.stream === true,
      stopSequences: readStopSequences(body.stop_sequences),
      thinking: thinking.wanted,
      toolNameMap: names.reverseMap,
    },
  }
}

/**
 * Translates an Anthropic Messages request body (`POST /v1/messages`) into a Codex backend
 * Responses request.
 *
 * - `system` (string or text blocks) becomes `instructions`, without Claude Code's
 *   `x-anthropic-billing-header:` block; `role: "system"` messages become `developer` messages
 *   in place.
 * - Text, images (base64 and url), documents (PDF as `input_file`, text sources as text),
 *   `tool_use` / `tool_result` as `function_call` / `function_call_output` with the tool id as
 *   `call_id`; `is_error: true` results start with `[tool error] `.
 * - Thinking blocks signed by this relay for the same upstream model go back as `reasoning`
 *   items with their encrypted content; other thinking and `redacted_thinking` blocks are dropped.
 * - `thinking` enabled / adaptive asks for reasoning summaries (unless `display: "omitted"`) and
 *   the encrypted reasoning; the effort is `output_config.effort` (`max` -> `xhigh`), else the
 *   thinking budget's bucket, else the model map's default.
 * - `output_config.format` (or `output_format`) becomes a strict `text.format` json_schema.
 * - `max_tokens`, `temperature`, `top_p`, `top_k`, `stop_sequences` (honoured on the output
 *   instead), `metadata`, `context_management`, `cache_control`, `service_tier` and unknown keys
 *   are not forwarded and are listed in `ignoredParameters`; `speed: "fast"` becomes
 *   `service_tier: "priority"`.
 *
 * Never throws for bad input: a failure comes back as `{ ok: false, error }` (400).
 */
export function translateMessagesRequest(
  body: unknown,
  options: MessagesTranslateOptions = {},
): MessagesTranslationResult {
  try {
    return translate(body, options)
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: toValidationError(error) }
    throw error
  }
}

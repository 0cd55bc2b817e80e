import { ordered, readReasoning } from './_internal/common'
import {
  ignoredKeys,
  isPositiveCount,
  isUnset,
  orderIgnored,
  rejectUnsupported,
} from './_internal/parameters'
import { readStop } from './_internal/stop'
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
  readIncludeUsage,
  readInstructions,
  readModel,
  readStream,
  toValidationError,
  userSessionId,
} from './_internal/util'
import type { JsonObject, ResponsesContentPart, ResponsesRequest, TranslationResult } from './types'

const HANDLED: ReadonlySet<string> = new Set([
  'model',
  'prompt',
  'stream',
  'stream_options',
  'instructions',
  'reasoning_effort',
  'reasoning',
  'conversation',
  'prompt_cache_key',
  'service_tier',
  'n',
  'store',
  'echo',
  'best_of',
  'logprobs',
  'suffix',
  'stop',
])

function checkUnsupported(body: JsonObject): void {
  const offending: string[] = []
  if (!isUnset(body.best_of) && body.best_of !== 1) offending.push('best_of')
  if (!isUnset(body.echo) && body.echo !== false) offending.push('echo')
  if (isPositiveCount(body.logprobs)) offending.push('logprobs')
  if (!isUnset(body.suffix) && body.suffix !== '') offending.push('suffix')
  rejectUnsupported('completions', offending)
}

function readPrompt(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  return invalid('Only a single string prompt is supported.', 'prompt', 'unsupported_value')
}

function translate(body: unknown): TranslationResult {
  if (!isObject(body)) invalid('Request body must be a JSON object.', null, 'invalid_request')
  checkUnsupported(body)
  checkN(body)
  checkStore(body)
  const model = readModel(body)
  const prompt = readPrompt(body.prompt)
  const stream = readStream(body)
  const includeUsage = readIncludeUsage(body)
  const stop = readStop(body.stop)
  const given = readInstructions(body.instructions)
  const instructions = given === null || given.trim() === '' ? '.' : given
  const content: ResponsesContentPart[] = [{ type: 'input_text', text: prompt }]

  const request: ResponsesRequest = {
    model,
    instructions,
    input: [{ type: 'message', role: 'user', content }],
    tools: [],
    tool_choice: 'none',
    parallel_tool_calls: false,
    store: false,
    stream: true,
    prompt_cache_key: '',
  }
  const plan = readReasoning(body)
  if (plan.reasoning !== undefined) request.reasoning = plan.reasoning
  request.include = plan.include
  const sessionId =
    conversationId(body.conversation) ??
    promptCacheKey(body.prompt_cache_key) ??
    userSessionId(body) ??
    derivedSessionId(instructions, content)
  request.prompt_cache_key = sessionId
  const tier = forwardedServiceTier(body.service_tier)
  if (tier !== null) request.service_tier = tier

  const ignored = ignoredKeys(body, HANDLED)
  if (Object.hasOwn(body, 'service_tier') && tier === null) ignored.push('service_tier')

  return {
    ok: true,
    request: ordered(request),
    ignoredParameters: orderIgnored(ignored),
    adaptations: [],
    sessionId,
    fileRefs: [],
    context: {
      route: 'completions',
      model,
      stream,
      includeUsage,
      toolNameMap: {},
      ...(stop.length > 0 ? { stop } : {}),
    },
  }
}

/**
 * Translates a legacy Completions request body into a Codex backend Responses request: the
 * single prompt becomes one user message, tools are disabled.
 *
 * Never throws for bad input: a failure comes back as `{ ok: false, error }`.
 */
export function translateCompletionRequest(body: unknown): TranslationResult {
  try {
    return translate(body)
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: toValidationError(error) }
    throw error
  }
}

import type { ReplyPlan } from '../replies'

type Json = Record<string, unknown>

/** Largest number of prompt-cache keys remembered (oldest forgotten first). */
const PROMPT_CACHE_LIMIT = 10_000

/** Input tokens last seen per prompt-cache key (or session id), in insertion order. */
export type PromptCache = Map<string, number>

/** The `usage` object of a finished response. */
export interface Usage {
  input_tokens: number
  input_tokens_details: { cached_tokens: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

/** Input token figures of one request. */
export interface InputTokens {
  inputTokens: number
  cachedTokens: number
}

const tokensOf = (text: string): number => Math.ceil(text.length / 4)

/** Deterministic input token estimate: a quarter of the characters of instructions + input + tools. */
export function estimateInputTokens(body: Json): number {
  let chars = typeof body.instructions === 'string' ? body.instructions.length : 0
  if (body.input !== undefined) chars += JSON.stringify(body.input).length
  if (Array.isArray(body.tools) && body.tools.length > 0) chars += JSON.stringify(body.tools).length
  return Math.max(1, Math.ceil(chars / 4))
}

/**
 * Input tokens of `body`, and how many of them a previous request with the same cache key
 * (`prompt_cache_key`, else the `session_id` header) already sent. Remembers this request.
 */
export function countInputTokens(cache: PromptCache, body: Json, sessionId: unknown): InputTokens {
  const inputTokens = estimateInputTokens(body)
  const cacheKey = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : sessionId
  let cachedTokens = 0
  if (typeof cacheKey === 'string' && cacheKey.length > 0) {
    const previous = cache.get(cacheKey)
    if (previous !== undefined) cachedTokens = Math.min(previous, inputTokens)
    cache.delete(cacheKey)
    cache.set(cacheKey, inputTokens)
    if (cache.size > PROMPT_CACHE_LIMIT) {
      const oldest = cache.keys().next().value
      if (oldest !== undefined) cache.delete(oldest)
    }
  }
  return { inputTokens, cachedTokens }
}

/** Usage of a reply: visible output a quarter of its characters, reasoning counted twice. */
export function usageFor(plan: ReplyPlan, input: InputTokens): Usage {
  const reasoningTokens = plan.reasoning ? tokensOf(plan.reasoning) * 2 : 0
  let visible = 0
  for (const message of plan.messages) visible += tokensOf(message.text)
  for (const call of plan.toolCalls) visible += tokensOf(call.name) + tokensOf(call.arguments)
  const output = visible + reasoningTokens
  return {
    input_tokens: input.inputTokens,
    input_tokens_details: { cached_tokens: input.cachedTokens },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: input.inputTokens + output,
  }
}

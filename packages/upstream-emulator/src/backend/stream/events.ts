import { b64url } from '../../_internal/ids'
import type { PlannedCall, ReplyPlan } from '../replies'
import { type InputTokens, type Usage, usageFor } from './token-count'

type Json = Record<string, unknown>

/** How the event stream ends. */
export type StreamEnding =
  | { kind: 'completed'; emptyOutput: boolean }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'overload' }
  | { kind: 'usage_limit'; planType: string; resetsInSeconds: number; headers: Record<string, string> }

export interface StreamSpec {
  responseId: string
  /** Unique suffix used for item ids. */
  idSeed: string
  createdAt: number
  body: Json
  model: string
  plan: ReplyPlan
  encrypted: boolean
  /** Text deltas per message; undefined = one per word. */
  textDeltas: number | undefined
  tokens: InputTokens
  ending: StreamEnding
  /** Non-standard frames to add (`EmulatorExtraEvents`), with the `codex.rate_limits` payload. */
  extras?: ExtraFrames
}

/** Which non-standard frames a stream carries. */
export interface ExtraFrames {
  metadata: boolean
  responseMetadata: boolean
  websocketTiming: boolean
  /** The `codex.rate_limits` payload (without `type`), or null for none. */
  rateLimits: Json | null
}

/** Appends one event (type + sequence number + fields). */
type Push = (type: string, data: Json) => void

const OVERLOADED = 'Our servers are currently overloaded. Please try again later.'
const USAGE_LIMIT = 'The usage limit has been reached'

const words = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? []

/** Split `text` into `n` nearly equal pieces (fewer when the text is shorter); word pieces when n is undefined. */
export function splitText(text: string, n: number | undefined): string[] {
  if (text.length === 0) return []
  if (n === undefined) return words(text)
  const chars = Array.from(text)
  const count = Math.max(1, Math.min(n, chars.length))
  const out: string[] = []
  const base = Math.floor(chars.length / count)
  let extra = chars.length % count
  let at = 0
  for (let i = 0; i < count; i++) {
    const size = base + (extra > 0 ? 1 : 0)
    if (extra > 0) extra--
    out.push(chars.slice(at, at + size).join(''))
    at += size
  }
  return out
}

function responseObject(spec: StreamSpec, status: string, output: Json[], usage: Usage | null): Json {
  const body = spec.body
  const reasoning =
    typeof body.reasoning === 'object' && body.reasoning !== null
      ? { effort: null, summary: null, ...(body.reasoning as Json) }
      : { effort: null, summary: null }
  return {
    id: spec.responseId,
    object: 'response',
    created_at: spec.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: null,
    model: spec.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls === true,
    previous_response_id: null,
    prompt_cache_key: typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : null,
    reasoning,
    service_tier: typeof body.service_tier === 'string' ? body.service_tier : 'auto',
    store: false,
    text: typeof body.text === 'object' && body.text !== null ? body.text : { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  }
}

/** Endings that replace the output with an error: push it and return true. */
function pushErrorEnding(spec: StreamSpec, push: Push): boolean {
  const ending = spec.ending
  if (ending.kind === 'overload') {
    push('error', {
      code: 'server_is_overloaded',
      message: OVERLOADED,
      param: null,
      error: { type: 'service_unavailable_error', code: 'server_is_overloaded', message: OVERLOADED },
    })
    return true
  }
  if (ending.kind === 'usage_limit') {
    const resetsAt = Math.floor(Date.now() / 1000) + ending.resetsInSeconds
    push('error', {
      status: 429,
      status_code: 429,
      code: 'usage_limit_reached',
      message: USAGE_LIMIT,
      param: null,
      error: {
        type: 'usage_limit_reached',
        code: 'usage_limit_reached',
        message: USAGE_LIMIT,
        plan_type: ending.planType,
        resets_at: resetsAt,
        eligible_promo: null,
        resets_in_seconds: ending.resetsInSeconds,
      },
      headers: ending.headers,
    })
    return true
  }
  if (ending.kind === 'failed') {
    const failed = responseObject(spec, 'failed', [], null)
    failed.error = { code: ending.code, message: ending.message }
    push('response.failed', { response: failed })
    return true
  }
  return false
}

function pushReasoning(spec: StreamSpec, push: Push, text: string, outputIndex: number): Json {
  const itemId = `rs_${spec.idSeed}${outputIndex}`
  push('response.output_item.added', {
    output_index: outputIndex,
    item: { id: itemId, type: 'reasoning', summary: [] },
  })
  const at = { item_id: itemId, output_index: outputIndex, summary_index: 0 }
  push('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } })
  for (const delta of splitText(text, undefined)) {
    push('response.reasoning_summary_text.delta', { ...at, delta })
  }
  push('response.reasoning_summary_text.done', { ...at, text })
  push('response.reasoning_summary_part.done', { ...at, part: { type: 'summary_text', text } })
  const item: Json = { id: itemId, type: 'reasoning', summary: [{ type: 'summary_text', text }] }
  if (spec.encrypted)
    item.encrypted_content = `gAAAAB${b64url(`airelays-emulator:${spec.responseId}:${itemId}`)}`
  push('response.output_item.done', { output_index: outputIndex, item })
  return item
}

function pushMessage(
  spec: StreamSpec,
  push: Push,
  message: ReplyPlan['messages'][number],
  outputIndex: number,
): Json {
  const itemId = `msg_${spec.idSeed}${outputIndex}`
  const phase = message.phase === null ? {} : { phase: message.phase }
  push('response.output_item.added', {
    output_index: outputIndex,
    item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant', ...phase },
  })
  const at = { item_id: itemId, output_index: outputIndex, content_index: 0 }
  push('response.content_part.added', { ...at, part: { type: 'output_text', annotations: [], text: '' } })
  for (const delta of splitText(message.text, spec.textDeltas)) {
    push('response.output_text.delta', { ...at, delta, logprobs: [] })
  }
  push('response.output_text.done', { ...at, text: message.text, logprobs: [] })
  const part = { type: 'output_text', annotations: [], logprobs: [], text: message.text }
  push('response.content_part.done', { ...at, part })
  const item = {
    id: itemId,
    type: 'message',
    status: 'completed',
    content: [part],
    role: 'assistant',
    ...phase,
  }
  push('response.output_item.done', { output_index: outputIndex, item })
  return item
}

function pushToolCall(
  spec: StreamSpec,
  push: Push,
  call: PlannedCall & { callId: string },
  outputIndex: number,
): Json {
  const itemId = `fc_${spec.idSeed}${outputIndex}`
  const base = { id: itemId, type: 'function_call' }
  push('response.output_item.added', {
    output_index: outputIndex,
    item: { ...base, status: 'in_progress', arguments: '', call_id: call.callId, name: call.name },
  })
  const pieces = Math.min(4, Math.max(1, Math.ceil(call.arguments.length / 16)))
  for (const delta of splitText(call.arguments, pieces)) {
    push('response.function_call_arguments.delta', { item_id: itemId, output_index: outputIndex, delta })
  }
  push('response.function_call_arguments.done', {
    item_id: itemId,
    output_index: outputIndex,
    arguments: call.arguments,
  })
  const item = {
    ...base,
    status: 'completed',
    arguments: call.arguments,
    call_id: call.callId,
    name: call.name,
  }
  push('response.output_item.done', { output_index: outputIndex, item })
  return item
}

/** The one item of a compaction turn: opaque, replayable `encrypted_content`. */
function pushCompaction(spec: StreamSpec, push: Push): Json {
  const item = {
    type: 'compaction',
    encrypted_content: `gAAAAB${b64url(`airelays-emulator:compaction:${spec.responseId}`)}`,
  }
  push('response.output_item.added', { output_index: 0, item })
  push('response.output_item.done', { output_index: 0, item })
  return item
}

/** Output items in order: reasoning, messages, function calls (or the one compaction item). */
function pushOutput(spec: StreamSpec, push: Push): Json[] {
  const output: Json[] = []
  const plan = spec.plan
  if (plan.compaction) return [pushCompaction(spec, push)]
  if (plan.reasoning !== null) output.push(pushReasoning(spec, push, plan.reasoning, output.length))
  for (const message of plan.messages) output.push(pushMessage(spec, push, message, output.length))
  plan.toolCalls.forEach((call, n) => {
    output.push(pushToolCall(spec, push, { ...call, callId: `call_${spec.idSeed}${n}` }, output.length))
  })
  return output
}

/**
 * Build the full, ordered list of SSE events (objects with `type` and `sequence_number`):
 * `response.created`, `response.in_progress`, then an error ending or the output items and the
 * terminal `response.completed` / `response.incomplete`.
 */
export function buildEvents(spec: StreamSpec): Json[] {
  const events: Json[] = []
  const push: Push = (type, data) => {
    events.push({ type, sequence_number: events.length, ...data })
  }
  const extras = spec.extras
  if (extras?.metadata) {
    push('response.metadata', {
      response_id: spec.responseId,
      metadata: { safety_buffering: { enabled: true, reason: 'cyber_safety' } },
    })
  }
  const snapshot = responseObject(spec, 'in_progress', [], null)
  push('response.created', { response: snapshot })
  if (extras?.responseMetadata) {
    push('codex.response.metadata', {
      response_id: spec.responseId,
      metadata: { model: spec.model, reasoning_included: false, turn_state: `ts_${spec.idSeed}` },
    })
  }
  push('response.in_progress', { response: snapshot })
  if (extras?.rateLimits) push('codex.rate_limits', extras.rateLimits)
  if (pushErrorEnding(spec, push)) return events
  const output = pushOutput(spec, push)
  const usage = usageFor(spec.plan, spec.tokens)
  const ending = spec.ending
  if (extras?.websocketTiming) {
    push('responsesapi.websocket_timing', {
      response_id: spec.responseId,
      timing: { queue_ms: 3, first_token_ms: 41, total_ms: 97 },
    })
  }
  if (ending.kind === 'incomplete') {
    const final = responseObject(spec, 'incomplete', output, usage)
    final.incomplete_details = { reason: ending.reason }
    push('response.incomplete', { response: final })
  } else if (ending.kind === 'completed') {
    push('response.completed', {
      response: responseObject(spec, 'completed', ending.emptyOutput ? [] : output, usage),
    })
  }
  return events
}

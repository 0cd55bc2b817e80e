import type { ServerResponse } from 'node:http'
import type { PlannedCall, ReplyPlan } from './replies'
import { b64url } from './tokens'

type Json = Record<string, unknown>

/** How the event stream ends. */
export type StreamEnding =
  | { kind: 'completed'; emptyOutput: boolean }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'overload' }
  | { kind: 'usage_limit'; planType: string; resetsInSeconds: number; headers: Record<string, string> }

export interface Usage {
  input_tokens: number
  input_tokens_details: { cached_tokens: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

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
  inputTokens: number
  cachedTokens: number
  ending: StreamEnding
}

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

const tokensOf = (text: string): number => Math.ceil(text.length / 4)

/** Deterministic input token estimate: a quarter of the characters of instructions + input + tools. */
export function estimateInputTokens(body: Json): number {
  let chars = typeof body.instructions === 'string' ? body.instructions.length : 0
  if (body.input !== undefined) chars += JSON.stringify(body.input).length
  if (Array.isArray(body.tools) && body.tools.length > 0) chars += JSON.stringify(body.tools).length
  return Math.max(1, Math.ceil(chars / 4))
}

function usageFor(spec: StreamSpec): Usage {
  const reasoningTokens = spec.plan.reasoning ? tokensOf(spec.plan.reasoning) * 2 : 0
  let visible = 0
  for (const message of spec.plan.messages) visible += tokensOf(message.text)
  for (const call of spec.plan.toolCalls) visible += tokensOf(call.name) + tokensOf(call.arguments)
  const output = visible + reasoningTokens
  return {
    input_tokens: spec.inputTokens,
    input_tokens_details: { cached_tokens: spec.cachedTokens },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: spec.inputTokens + output,
  }
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

/** Build the full, ordered list of SSE events (objects with `type` and `sequence_number`). */
export function buildEvents(spec: StreamSpec): Json[] {
  const events: Json[] = []
  const push = (type: string, data: Json): void => {
    events.push({ type, sequence_number: events.length, ...data })
  }
  const snapshot = responseObject(spec, 'in_progress', [], null)
  push('response.created', { response: snapshot })
  push('response.in_progress', { response: snapshot })
  const ending = spec.ending
  if (ending.kind === 'overload') {
    push('error', {
      code: 'server_is_overloaded',
      message: 'Our servers are currently overloaded. Please try again later.',
      param: null,
      error: {
        type: 'service_unavailable_error',
        code: 'server_is_overloaded',
        message: 'Our servers are currently overloaded. Please try again later.',
      },
    })
    return events
  }
  if (ending.kind === 'usage_limit') {
    const resetsAt = Math.floor(Date.now() / 1000) + ending.resetsInSeconds
    push('error', {
      status: 429,
      status_code: 429,
      code: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      param: null,
      error: {
        type: 'usage_limit_reached',
        code: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        plan_type: ending.planType,
        resets_at: resetsAt,
        eligible_promo: null,
        resets_in_seconds: ending.resetsInSeconds,
      },
      headers: ending.headers,
    })
    return events
  }
  if (ending.kind === 'failed') {
    const failed = responseObject(spec, 'failed', [], null)
    failed.error = { code: ending.code, message: ending.message }
    push('response.failed', { response: failed })
    return events
  }

  const output: Json[] = []
  const plan = spec.plan
  let index = 0
  if (plan.reasoning !== null) {
    const itemId = `rs_${spec.idSeed}${index}`
    const outputIndex = index++
    push('response.output_item.added', {
      output_index: outputIndex,
      item: { id: itemId, type: 'reasoning', summary: [] },
    })
    const at = { item_id: itemId, output_index: outputIndex, summary_index: 0 }
    push('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } })
    for (const delta of splitText(plan.reasoning, undefined)) {
      push('response.reasoning_summary_text.delta', { ...at, delta })
    }
    push('response.reasoning_summary_text.done', { ...at, text: plan.reasoning })
    push('response.reasoning_summary_part.done', {
      ...at,
      part: { type: 'summary_text', text: plan.reasoning },
    })
    const item: Json = {
      id: itemId,
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: plan.reasoning }],
    }
    if (spec.encrypted)
      item.encrypted_content = `gAAAAB${b64url(`airelays-emulator:${spec.responseId}:${itemId}`)}`
    push('response.output_item.done', { output_index: outputIndex, item })
    output.push(item)
  }
  for (const message of plan.messages) {
    const itemId = `msg_${spec.idSeed}${index}`
    const outputIndex = index++
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
    output.push(item)
  }
  plan.toolCalls.forEach((call: PlannedCall, n: number) => {
    const itemId = `fc_${spec.idSeed}${index}`
    const outputIndex = index++
    const callId = `call_${spec.idSeed}${n}`
    push('response.output_item.added', {
      output_index: outputIndex,
      item: {
        id: itemId,
        type: 'function_call',
        status: 'in_progress',
        arguments: '',
        call_id: callId,
        name: call.name,
      },
    })
    for (const delta of splitText(
      call.arguments,
      Math.min(4, Math.max(1, Math.ceil(call.arguments.length / 16))),
    )) {
      push('response.function_call_arguments.delta', { item_id: itemId, output_index: outputIndex, delta })
    }
    push('response.function_call_arguments.done', {
      item_id: itemId,
      output_index: outputIndex,
      arguments: call.arguments,
    })
    const item = {
      id: itemId,
      type: 'function_call',
      status: 'completed',
      arguments: call.arguments,
      call_id: callId,
      name: call.name,
    }
    push('response.output_item.done', { output_index: outputIndex, item })
    output.push(item)
  })
  const usage = usageFor(spec)
  if (ending.kind === 'incomplete') {
    const final = responseObject(spec, 'incomplete', output, usage)
    final.incomplete_details = { reason: ending.reason }
    push('response.incomplete', { response: final })
  } else {
    push('response.completed', {
      response: responseObject(spec, 'completed', ending.emptyOutput ? [] : output, usage),
    })
  }
  return events
}

/** `event:`/`data:` framing of each event. */
export function toFrames(events: Json[]): string[] {
  return events.map((event) => `event: ${event.type as string}\ndata: ${JSON.stringify(event)}\n\n`)
}

export interface WriteOptions {
  gapMs: number
  ttftMs: number
  /** Destroy the socket after this many events. */
  cutAfter?: number
  /** End the response cleanly after this many events. */
  endAfter?: number
  /** Pause `stallMs` after this many events. */
  stallAfter?: number
  stallMs?: number
}

/**
 * Write frames with pacing using at most one pending timer. Returns a stop function (used on
 * client disconnect and on emulator close). `onCut` runs when the socket is destroyed on purpose.
 */
export function writeFrames(
  res: ServerResponse,
  frames: string[],
  options: WriteOptions,
  onCut: () => void,
): () => void {
  const cut = options.cutAfter !== undefined
  const stopAt = Math.min(
    frames.length,
    options.cutAfter ?? Number.POSITIVE_INFINITY,
    options.endAfter ?? Number.POSITIVE_INFINITY,
  )
  const stallAt = options.stallAfter
  let stalled = stallAt === undefined || stallAt >= stopAt
  let i = 0
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const done = (chunk: string | null): void => {
    stopped = true
    if (cut) {
      onCut()
      const destroy = (): void => {
        res.destroy()
      }
      if (chunk !== null) res.write(chunk, destroy)
      else destroy()
    } else if (chunk !== null) {
      res.end(chunk)
    } else {
      res.end()
    }
  }
  const step = (): void => {
    timer = undefined
    if (stopped || res.destroyed) return
    if (options.gapMs <= 0) {
      const pauseHere = !stalled && stallAt !== undefined
      const target = pauseHere ? (stallAt as number) : stopAt
      const chunk = target > i ? frames.slice(i, target).join('') : null
      i = Math.max(i, target)
      if (pauseHere) {
        if (chunk !== null) res.write(chunk)
        stalled = true
        timer = setTimeout(step, options.stallMs ?? 0)
        return
      }
      done(chunk)
      return
    }
    if (i >= stopAt) {
      done(null)
      return
    }
    const chunk = frames[i++] as string
    if (i >= stopAt) {
      done(chunk)
      return
    }
    res.write(chunk)
    let delay = options.gapMs
    if (!stalled && i === stallAt) {
      stalled = true
      delay += options.stallMs ?? 0
    }
    timer = setTimeout(step, delay)
  }

  let first = options.ttftMs
  if (!stalled && stallAt === 0) {
    stalled = true
    first += options.stallMs ?? 0
  }
  if (first > 0) timer = setTimeout(step, first)
  else step()

  return () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
}

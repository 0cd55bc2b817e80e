import { randomBytes } from 'node:crypto'
import { nowSeconds } from '../../_internal/ids'
import type { Identity } from '../../accounts'
import type { EmulatorState } from '../../state'
import type { EmulatorBehaviour } from '../../types'
import { DEFAULT_TEXT, defaultPlan, isCompactionTurn, type ReplyPlan, scriptedPlan } from '../replies'
import { codexHeaders, rateLimitsEvent } from '../usage'
import type { ValidatedRequest } from '../validate'
import { buildEvents, type ExtraFrames, type StreamEnding } from './events'
import type { WriteOptions } from './pacer'
import { countInputTokens } from './token-count'

type Json = Record<string, unknown>

/** Everything a transport needs to play one `/responses` answer. */
export interface StreamScript {
  /** The events in order (objects with `type` and `sequence_number`). */
  events: Json[]
  /** Pacing and scripted cuts, stalls and early ends. */
  write: WriteOptions
  /** False for `no_content_type`: the answer carries no content-type header. */
  contentType: boolean
}

/** What a stream script is made from. */
export interface StreamScriptInput {
  state: EmulatorState
  /** The validated request. */
  request: ValidatedRequest
  /** Who is asking (the plan of usage-limit errors). */
  identity: Identity
  /** The post behaviour taken for this request, if any. */
  behaviour: EmulatorBehaviour | undefined
  /** The `session_id` header (prompt-cache key when the body names none). */
  sessionId: unknown
}

/** Expand the fixed sentence to exactly `n` words so benchmarks get `n` text deltas. */
function expandDefaultText(n: number): string {
  const base = DEFAULT_TEXT.split(' ')
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(base[i % base.length] as string)
  return out.join(' ')
}

/** The reply: scripted, else the default one; the fixed sentence stretched to `events` words. */
function replyPlan(input: StreamScriptInput, events: number | undefined): ReplyPlan {
  const { behaviour, request } = input
  // the backend answers a trailing trigger with the compaction item, whatever was scripted
  const plan =
    behaviour?.kind === 'reply' && !isCompactionTurn(request.input)
      ? scriptedPlan(behaviour.output, request.body, request.input)
      : defaultPlan(request.body, request.input)
  if (events === undefined || !plan.messages.some((m) => m.text === DEFAULT_TEXT)) return plan
  const expanded = expandDefaultText(events)
  return {
    ...plan,
    messages: plan.messages.map((m) => (m.text === DEFAULT_TEXT ? { ...m, text: expanded } : m)),
  }
}

/** How the stream ends, from the behaviour. */
function endingFor(input: StreamScriptInput): StreamEnding {
  const { behaviour, identity, state } = input
  switch (behaviour?.kind) {
    case 'empty_completed_output':
      return { kind: 'completed', emptyOutput: true }
    case 'incomplete':
      return { kind: 'incomplete', reason: behaviour.reason ?? 'max_output_tokens' }
    case 'failed_event':
      return {
        kind: 'failed',
        code: behaviour.code ?? 'server_error',
        message: behaviour.message ?? 'An error occurred while processing your request.',
      }
    case 'overload_in_stream':
      return { kind: 'overload' }
    case 'usage_limit_in_stream': {
      const seconds = behaviour.resetsInSeconds ?? 3600
      const h = codexHeaders(state, identity.plan, { used: 100, resetAfter: seconds })
      return {
        kind: 'usage_limit',
        planType: identity.plan,
        resetsInSeconds: seconds,
        headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])),
      }
    }
    default:
      return { kind: 'completed', emptyOutput: false }
  }
}

/** Pacing (options, overridden by `pace`) and the cut / early end / stall behaviours. */
function writeOptions(input: StreamScriptInput): WriteOptions {
  const { behaviour } = input
  const pacing = input.state.config.pacing
  const write: WriteOptions = {
    gapMs: behaviour?.kind === 'pace' && behaviour.gapMs !== undefined ? behaviour.gapMs : pacing.gapMs,
    ttftMs: behaviour?.kind === 'pace' && behaviour.ttftMs !== undefined ? behaviour.ttftMs : pacing.ttftMs,
  }
  if (behaviour?.kind === 'cut_mid_stream') write.cutAfter = behaviour.afterEvents
  if (behaviour?.kind === 'end_early') write.endAfter = behaviour.afterEvents
  if (behaviour?.kind === 'stall') {
    write.stallAfter = behaviour.afterEvents
    write.stallMs = behaviour.ms
  }
  return write
}

const PREAMBLE: ReadonlySet<string> = new Set([
  'response.metadata',
  'response.created',
  'codex.response.metadata',
  'response.in_progress',
  'codex.rate_limits',
])

/** A `silence` behaviour: a stall, by default right before the first output frame. */
function silenceAt(events: Json[], write: WriteOptions, behaviour: EmulatorBehaviour | undefined): void {
  if (behaviour?.kind !== 'silence') return
  let at = behaviour.afterEvents
  if (at === undefined) {
    at = events.findIndex((e) => !PREAMBLE.has(e.type as string))
    if (at === -1) at = events.length
  }
  write.stallAfter = at
  write.stallMs = behaviour.ms
}

/** The non-standard frames of this stream: the emulator's option, plus an `extra_events` behaviour. */
function extraFrames(input: StreamScriptInput): ExtraFrames {
  const { behaviour, state, identity } = input
  const wanted = { ...state.config.extraEvents }
  if (behaviour?.kind === 'extra_events') {
    const all = { metadata: true, rateLimits: true, responseMetadata: true, websocketTiming: true }
    Object.assign(wanted, behaviour.events ?? all)
  }
  return {
    metadata: wanted.metadata === true,
    responseMetadata: wanted.responseMetadata === true,
    websocketTiming: wanted.websocketTiming === true,
    rateLimits: wanted.rateLimits === true ? rateLimitsEvent(state, identity.plan) : null,
  }
}

/** Plan one `/responses` answer: its events and how to pace them. */
export function streamScript(input: StreamScriptInput): StreamScript {
  const { behaviour, state } = input
  const request = input.request.body
  const pacing = state.config.pacing
  const textDeltas =
    behaviour?.kind === 'pace' && behaviour.events !== undefined ? behaviour.events : pacing.events
  const plan = replyPlan(input, textDeltas)
  const ending = endingFor(input)
  const tokens = countInputTokens(state.backend.promptCache, request, input.sessionId)
  const include = Array.isArray(request.include) ? request.include : []
  const seed = randomBytes(12).toString('hex')
  const events = buildEvents({
    responseId: `resp_${seed}`,
    idSeed: seed,
    createdAt: nowSeconds(),
    body: request,
    model: request.model as string,
    plan,
    encrypted: include.includes('reasoning.encrypted_content'),
    textDeltas,
    tokens,
    ending,
    extras: extraFrames(input),
  })
  const write = writeOptions(input)
  silenceAt(events, write, behaviour)
  return { events, write, contentType: behaviour?.kind !== 'no_content_type' }
}

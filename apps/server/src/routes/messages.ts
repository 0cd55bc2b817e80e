import { claudeModelTable } from '@airelays/config'
import { expandFileReferences } from '@airelays/file-inliner'
import {
  aggregateResponse,
  type ClaudeModelMap,
  DEFAULT_CLAUDE_MODEL_MAP,
  type MessagesContext,
  toAnthropicMessage,
  translateMessagesRequest,
} from '@airelays/translate'
import { providerDisabled, translationRejected } from '../errors/factories'
import { inBandEnvelope } from '../errors/to-relay-error'
import { type GenerateOptions, recordOutcome, StreamTap } from '../generation/pipeline'
import { seedInput } from '../generation/seed'
import { countMessagesTokens } from '../generation/token-count'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { FrameWriterContext } from '../streaming/frame-writer'
import { messagesFrames } from '../streaming/messages-frames'
import { streamResponse } from '../streaming/stream-response'
import type { RelayHandler } from './handler'

const ADAPTATION_REASON =
  'The ChatGPT subscription backend does not support these Anthropic parameters, so the compatibility layer omitted them.'

/** Anthropic streams ping at least this often while the upstream is silent (Claude Code's watchdog is 5 minutes). */
const MAX_PING_INTERVAL_MS = 15_000

/**
 * The Claude model map of the relay's config (`[providers.anthropic] models`), else the translate
 * package's default. Route factories read it once.
 */
export function claudeModelMap(rt: RelayRuntime): ClaudeModelMap {
  const table = claudeModelTable(rt.settings.config)
  return Object.keys(table).length > 0 ? table : DEFAULT_CLAUDE_MODEL_MAP
}

/** `/no-tools/v1/messages`: a request that defines or forces tools is refused, as on the other routes. */
function refuseTools(body: Record<string, unknown>): void {
  for (const key of ['tools', 'tool_choice'] as const) {
    const value = body[key]
    const present = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null
    if (present && !(key === 'tool_choice' && (value as { type?: unknown }).type === 'none')) {
      throw translationRejected({
        status: 400,
        type: 'invalid_request_error',
        code: 'tools_disabled',
        param: key,
        message: 'This route disables tools.',
      })
    }
  }
}

/** Refuse when `[providers.anthropic] enabled = false`. */
function checkEnabled(rt: RelayRuntime): void {
  if (!rt.settings.config.providers.anthropic.enabled) {
    throw providerDisabled('The Anthropic Messages API is disabled for this AIRelays process.')
  }
}

/** Every response of an Anthropic route carries `request-id` (the SDK exposes it as `requestID`). */
function anthropicHeaders(req: RelayRequest): void {
  req.setHeader('request-id', req.id)
}

/**
 * `POST /v1/messages` (`?beta=true` too): the Anthropic Messages API on the Responses backend.
 * The body is translated by @airelays/translate (Claude model names mapped with the config's
 * model map), conversation seeds and uploaded files are added like on the OpenAI routes, and the
 * answer is a Message or an Anthropic event stream (`event:` lines, `ping` during upstream
 * silence, local stop sequences that end the stream and the upstream call). Parameters the backend
 * refuses are listed in `x-airelays-ignored-parameters`. Errors take Anthropic's envelope (see
 * `errors/anthropic.ts`).
 */
export function messagesRoute(rt: RelayRuntime, options: GenerateOptions): RelayHandler {
  const logLines = rt.settings.config.logging.stream_lines
  const models = claudeModelMap(rt)
  return async (req) => {
    anthropicHeaders(req)
    checkEnabled(rt)
    const body = await req.readJson({ emptyAsObject: false })
    if (!rt.settings.config.providers.openai.enabled) {
      throw providerDisabled('The OpenAI runtime that serves Claude model names is disabled.')
    }
    if (options.noTools) refuseTools(body)
    const sessionHeader = req.event.req.headers.get('x-claude-code-session-id')?.trim()
    const translated = translateMessagesRequest(body, {
      models,
      ...(sessionHeader ? { sessionId: sessionHeader } : {}),
    })
    if (!translated.ok) throw translationRejected(translated.error)
    const { request, context, sessionId } = translated
    if (translated.ignoredParameters.length > 0) {
      req.setHeader('x-airelays-ignored-parameters', translated.ignoredParameters.join(','))
    }
    if (translated.ignoredParameters.length > 0 || translated.adaptations.length > 0) {
      req.record('compatibility_adaptation', {
        ignored_parameters: translated.ignoredParameters,
        adaptations: translated.adaptations,
        reason: ADAPTATION_REASON,
      })
    }
    const conversation = await rt.conversations.find(sessionId)
    if (conversation && conversation.latest_response_id === null && conversation.seed_items.length > 0) {
      request.input = [...seedInput(conversation.seed_items), ...request.input]
      request.input = (await expandFileReferences(request.input, rt.files, {
        route: 'responses',
      })) as typeof request.input
    }
    const call = rt.upstream.responses(request, { signal: req.signal, sessionId, requestId: req.id })
    // Counted once the upstream request is on its way (about 100 ms per MB of input): the count
    // overlaps the upstream's answer instead of delaying the request. A failed call is handled below.
    call.catch(() => {})
    const inputTokens = context.stream ? await countAfterSend(body) : 0
    const events = await call
    const tap = new StreamTap(req, logLines)
    const remember = (): Promise<void> => recordOutcome(rt, req, { tap, context, conversation, request })
    if (!context.stream) {
      const response = await aggregateResponse(tap.wrap(events))
      tap.response ??= response
      await remember()
      req.note({ object: 'message' })
      return req.json(toAnthropicMessage(response, context))
    }
    const frameContext: FrameWriterContext = {
      envelope: (error) => inBandEnvelope(error, req.failureContext),
      scrub: (frame) => rt.secrets.scrub(frame),
      codexClient: false,
    }
    const configured = rt.settings.keepAliveMs
    return streamResponse(req, {
      events,
      writer: messagesFrames(context as MessagesContext, frameContext, { inputTokens }),
      keepAliveMs: configured > 0 ? Math.min(configured, MAX_PING_INTERVAL_MS) : MAX_PING_INTERVAL_MS,
      nodeResponses: rt.settings.nodeResponses,
      streams: rt.lifecycle.streams,
      logFrames: logLines,
      onEvent: (event) => tap.observe(event),
      onEnd: remember,
    })
  }
}

/** {@link countMessagesTokens} after the event loop's I/O phase (the upstream request is written). */
function countAfterSend(body: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    setImmediate(() => countMessagesTokens(body).then(resolve, reject))
  })
}

/**
 * `POST /v1/messages/count_tokens`: `{"input_tokens": N}` for system, messages and tools, counted
 * locally with the o200k_base tokenizer (images and PDFs at a fixed estimate). The body is
 * checked with the same translator as `/v1/messages` (a `max_tokens` is not required), so a
 * request that would be refused is refused here too. No upstream call.
 */
export function countTokensRoute(rt: RelayRuntime): RelayHandler {
  const models = claudeModelMap(rt)
  return async (req) => {
    anthropicHeaders(req)
    checkEnabled(rt)
    const body = await req.readJson({ emptyAsObject: false })
    const checked = translateMessagesRequest({ max_tokens: 1, ...body }, { models })
    if (!checked.ok) throw translationRejected(checked.error)
    return req.json({ input_tokens: await countMessagesTokens(body) })
  }
}

/** `HEAD /api/hello`: Claude Code's connection-warming probe, answered 200 with no body. */
export function apiHelloRoute(): RelayHandler {
  return (req) => {
    anthropicHeaders(req)
    return new Response(null, { status: 200 })
  }
}

/**
 * `POST /api/event_logging/batch` (and `/v2/batch`): older Claude Code posts telemetry to the
 * base URL. Answered 204 without reading the body; only the minimal request records are logged.
 */
export function eventLoggingRoute(): RelayHandler {
  return (req) => {
    anthropicHeaders(req)
    return new Response(null, { status: 204 })
  }
}

import { expandFileReferences } from '@airelays/file-inliner'
import {
  aggregateResponse,
  type ResponsesObject,
  type ResponsesRequest,
  type TranslationContext,
} from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { previousResponseNotFound, providerDisabled, translationRejected } from '../errors/factories'
import { inBandEnvelope } from '../errors/to-relay-error'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { Conversation } from '../stores/conversations'
import type { FrameWriterContext } from '../streaming/frame-writer'
import { isNonStandard } from '../streaming/responses-frames'
import { streamResponse } from '../streaming/stream-response'
import { seedInput } from './seed'
import {
  checkAgainstCatalog,
  clientSessionId,
  forwardedHeaders,
  isCodexClient,
  mapUpstreamFailure,
  pendingEvents,
  settledWithin,
} from './upstream-call'
import type { WireFormat } from './wire-format'

const ADAPTATION_REASON =
  'The ChatGPT subscription backend does not support these OpenAI parameters, so the compatibility layer omitted them.'

/** Options of one generation call. */
export interface GenerateOptions {
  /** `/no-tools/v1`: tools are stripped from the request. */
  noTools: boolean
}

/** Runs one generation request of a wire format: the whole path from body to answer. */
export type Generate = (req: RelayRequest, options: GenerateOptions) => Promise<Response>

/** The translated request with what the rest of the pipeline needs. */
interface Prepared {
  request: ResponsesRequest
  context: TranslationContext
  sessionId: string
  conversation: Conversation | null
}

/**
 * The generation pipeline of `format`: read and check the body, translate it, add a conversation's
 * seed items and expand uploaded files, call the upstream, then answer with the aggregated JSON or
 * a stream of the format's frames. Failures are thrown as they come; the relay core turns them
 * into the envelope (see `errors/to-relay-error.ts`).
 */
export function createGeneration(rt: RelayRuntime, format: WireFormat): Generate {
  const logLines = rt.settings.config.logging.stream_lines
  return async (req, options) => {
    const prepared = await prepare(rt, format, req, options)
    const { request, context, sessionId, conversation } = prepared
    const pending = rt.upstream
      .responses(request, {
        signal: req.signal,
        sessionId: clientSessionId(req) ?? sessionId,
        requestId: req.id,
        headers: forwardedHeaders(req),
      })
      .catch(mapUpstreamFailure(rt, request.model))
    const tap = new StreamTap(req, logLines)
    const remember = (): Promise<void> => recordOutcome(rt, req, { tap, context, conversation, request })
    if (!context.stream) {
      const events = await pending
      const response = await aggregateResponse(tap.wrap(events))
      tap.response ??= response
      await remember()
      req.note({ object: format.object })
      return req.json(format.toJson(response, context))
    }
    const frameContext: FrameWriterContext = {
      envelope: (error) => inBandEnvelope(error, req.failureContext),
      scrub: (frame) => rt.secrets.scrub(frame),
      codexClient: isCodexClient(req),
    }
    // Early failures stay plain HTTP errors for a short window; after it the 200 is committed with
    // a keep-alive comment, so a backend that reasons silently for minutes never looks dead.
    const early = await settledWithin(pending, rt.settings.streamHoldMs)
    if (early && 'error' in early) throw early.error
    const events = early ? early.value : pendingEvents(pending, (reason) => req.abort(reason))
    return streamResponse(req, {
      events,
      leadingKeepAlive: early === null,
      writer: format.frames(context, frameContext),
      keepAliveMs: rt.settings.keepAliveMs,
      nodeResponses: rt.settings.nodeResponses,
      streams: rt.lifecycle.streams,
      logFrames: logLines,
      onEvent: (event) => tap.observe(event),
      onEnd: remember,
    })
  }
}

/** Body, provider checks, translation, adaptations, conversation seed and file expansion. */
async function prepare(
  rt: RelayRuntime,
  format: WireFormat,
  req: RelayRequest,
  options: GenerateOptions,
): Promise<Prepared> {
  const body = await req.readJson({ emptyAsObject: false })
  const model = typeof body.model === 'string' ? body.model : null
  if (model !== null && /^claude[:-]/i.test(model)) {
    throw providerDisabled('The Claude runtime is disabled for this AIRelays process.')
  }
  if (!rt.settings.config.providers.openai.enabled) {
    throw providerDisabled(`Unknown model \`${model ?? ''}\` and the OpenAI runtime is disabled.`)
  }
  const translated = format.translate(body, options)
  if (!translated.ok) throw translationRejected(translated.error)
  const { request, context, sessionId } = translated
  if (context.previousResponseId !== undefined) {
    // The backend keeps nothing (`store: false`): the relay continues from the response it kept.
    const earlier = await rt.responses.continuation(context.previousResponseId)
    if (earlier === null) throw previousResponseNotFound(context.previousResponseId)
    request.input = [...(earlier as typeof request.input), ...request.input]
  }
  const effortParam = format.fileParts === 'responses' ? 'reasoning.effort' : 'reasoning_effort'
  const ignoredParameters = [
    ...translated.ignoredParameters,
    ...(await checkAgainstCatalog(rt, req, request, effortParam)),
  ]
  if (ignoredParameters.length > 0) {
    req.setHeader('x-airelays-ignored-parameters', ignoredParameters.join(','))
  }
  if (ignoredParameters.length > 0 || translated.adaptations.length > 0) {
    req.record('compatibility_adaptation', {
      ignored_parameters: ignoredParameters,
      adaptations: translated.adaptations,
      reason: ADAPTATION_REASON,
    })
  }
  const conversation = await rt.conversations.find(sessionId)
  if (conversation && conversation.latest_response_id === null && conversation.seed_items.length > 0) {
    request.input = [...seedInput(conversation.seed_items), ...request.input]
  }
  if (translated.fileRefs.length > 0 || (conversation?.seed_items.length ?? 0) > 0) {
    request.input = (await expandFileReferences(request.input, rt.files, {
      route: format.fileParts,
      // Every reference counts, checked before reading (issue 26, item 4).
      maxExpandedBytes: rt.settings.config.uploads.max_expanded_bytes_per_request ?? 67_108_864,
    })) as typeof request.input
  }
  return { request, context, sessionId, conversation }
}

/** Records what the upstream stream reveals (terminal response, usage) and logs stream lines when asked. */
export class StreamTap {
  response: ResponsesObject | null = null
  readonly #req: RelayRequest
  readonly #logLines: boolean
  /** `output_item.done` items by output index (only kept until the terminal event). */
  readonly #done = new Map<number, unknown>()

  constructor(req: RelayRequest, logLines: boolean) {
    this.#req = req
    this.#logLines = logLines
  }

  /** The events of `events`, observed on the way (the non-stream path). */
  async *wrap(events: AsyncIterable<ResponsesEvent>): AsyncGenerator<ResponsesEvent, void, undefined> {
    for await (const event of events) {
      this.observe(event)
      if (!isNonStandard(event.type)) yield event
    }
  }

  observe(event: ResponsesEvent): void {
    if (this.#logLines) this.#req.record('upstream_stream_line', { event })
    if (event.type === 'response.output_item.done' && typeof event.item === 'object' && event.item !== null) {
      const index = typeof event.output_index === 'number' ? event.output_index : this.#done.size + 1_000_000
      this.#done.set(index, event.item)
    } else if (
      (event.type === 'response.completed' || event.type === 'response.incomplete') &&
      typeof event.response === 'object' &&
      event.response !== null
    ) {
      const response = event.response as ResponsesObject
      // The backend may send the terminal response without its output: rebuild it from the items.
      const output = Array.isArray(response.output) && response.output.length > 0 ? null : this.#items()
      this.response = output === null || output.length === 0 ? response : { ...response, output }
    }
  }

  /** The `output_item.done` items, in output order. */
  #items(): ResponsesObject['output'] {
    return [...this.#done.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, item]) => item) as ResponsesObject['output']
  }
}

/** What {@link recordOutcome} needs besides the request. */
export interface OutcomeSources {
  tap: StreamTap
  context: { model: string; route?: string; store?: boolean; previousResponseId?: string }
  conversation: Conversation | null
  /** The request the upstream got (its input is kept with a `/v1/responses` answer). */
  request: ResponsesRequest
}

/**
 * Once the upstream answer is known: its id, model and usage go to the `outbound_response` record
 * (and an `outbound_usage` record), and the conversation remembers the response id.
 */
export async function recordOutcome(
  rt: RelayRuntime,
  req: RelayRequest,
  sources: OutcomeSources,
): Promise<void> {
  const response = sources.tap.response
  if (!response) return
  const model = response.model ?? sources.context.model
  req.note({ id: response.id, model, usage: response.usage ?? null })
  if (response.usage) req.record('outbound_usage', { model, usage: response.usage })
  const keep = sources.context.route === 'responses' && sources.context.store !== false
  if (keep && typeof response.id === 'string' && response.id !== '') {
    // Kept so a later `previous_response_id` (or `GET /v1/responses/{id}`) can find it; not with
    // `store: false` (as on the OpenAI API; Codex sends it and never chains by id).
    const kept = sources.context.previousResponseId
      ? { ...response, previous_response_id: sources.context.previousResponseId }
      : response
    await rt.responses.put(response.id, sources.request.input, kept).catch((error: unknown) => {
      rt.logger.warn(`AIRelays could not keep response ${response.id}: ${String(error)}`)
    })
  }
  const { conversation } = sources
  if (conversation && typeof response.id === 'string') {
    await rt.conversations.setLatestResponse(conversation.id, response.id).catch((error: unknown) => {
      rt.logger.warn(`AIRelays could not update conversation ${conversation.id}: ${String(error)}`)
    })
  }
}

import { expandFileReferences } from '@airelays/file-inliner'
import {
  aggregateResponse,
  type ResponsesObject,
  type ResponsesRequest,
  type TranslationContext,
} from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { providerDisabled, translationRejected } from '../errors/factories'
import { inBandEnvelope } from '../errors/to-relay-error'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { Conversation } from '../stores/conversations'
import type { FrameWriterContext } from '../streaming/frame-writer'
import { streamResponse } from '../streaming/stream-response'
import { seedInput } from './seed'
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
    const events = await rt.upstream.responses(request, { signal: req.signal, sessionId, requestId: req.id })
    const tap = new StreamTap(req, logLines)
    const remember = (): Promise<void> => recordOutcome(rt, req, { tap, context, conversation })
    if (!context.stream) {
      const response = await aggregateResponse(tap.wrap(events))
      tap.response ??= response
      await remember()
      req.note({ object: format.object })
      return req.json(format.toJson(response, context))
    }
    const frameContext: FrameWriterContext = {
      envelope: (error) => inBandEnvelope(error, req.failureContext),
      scrub: (frame) => rt.secrets.scrub(frame),
    }
    return streamResponse(req, {
      events,
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
  }
  if (translated.fileRefs.length > 0 || (conversation?.seed_items.length ?? 0) > 0) {
    request.input = (await expandFileReferences(request.input, rt.files, {
      route: format.fileParts,
    })) as typeof request.input
  }
  return { request, context, sessionId, conversation }
}

/** Records what the upstream stream reveals (terminal response, usage) and logs stream lines when asked. */
export class StreamTap {
  response: ResponsesObject | null = null
  readonly #req: RelayRequest
  readonly #logLines: boolean

  constructor(req: RelayRequest, logLines: boolean) {
    this.#req = req
    this.#logLines = logLines
  }

  /** The events of `events`, observed on the way (the non-stream path). */
  async *wrap(events: AsyncIterable<ResponsesEvent>): AsyncGenerator<ResponsesEvent, void, undefined> {
    for await (const event of events) {
      this.observe(event)
      yield event
    }
  }

  observe(event: ResponsesEvent): void {
    if (this.#logLines) this.#req.record('upstream_stream_line', { event })
    if (
      (event.type === 'response.completed' || event.type === 'response.incomplete') &&
      typeof event.response === 'object' &&
      event.response !== null
    ) {
      this.response = event.response as ResponsesObject
    }
  }
}

/** What {@link recordOutcome} needs besides the request. */
export interface OutcomeSources {
  tap: StreamTap
  context: { model: string }
  conversation: Conversation | null
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
  const { conversation } = sources
  if (conversation && typeof response.id === 'string') {
    await rt.conversations.setLatestResponse(conversation.id, response.id).catch((error: unknown) => {
      rt.logger.warn(`AIRelays could not update conversation ${conversation.id}: ${String(error)}`)
    })
  }
}

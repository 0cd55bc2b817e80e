import type { ServerResponse } from 'node:http'
import { expandFileReferences } from '@airelays/file-inliner'
import {
  aggregateResponse,
  chatStreamTranslator,
  completionStreamTranslator,
  isTranslateError,
  normalizeResponsesRequest,
  type ResponsesObject,
  type ResponsesRequest,
  type StreamItem,
  type StreamTranslator,
  type TranslationContext,
  type TranslationResult,
  toChatCompletion,
  toTextCompletion,
  translateChatRequest,
  translateCompletionRequest,
} from '@airelays/translate'
import { isUpstreamError, type ResponsesEvent, type ResponsesStream } from '@airelays/upstream-client'
import type { H3Event } from 'h3'
import { type RequestState, stateOf } from '../_internal/context'
import { finishRequest } from '../_internal/finish'
import { jsonResponse, readJsonBody } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import {
  DONE_FRAME,
  dataFrame,
  eventFrame,
  type FrameTranslator,
  nodeSink,
  type SseStream,
  type StreamOutcome,
  startSseStream,
  webSink,
} from '../_internal/sse'
import { upstreamFailure } from '../_internal/upstream-errors'
import { RelayError, toRelayError } from '../errors'
import { fileFailure } from './files'
import type { RelayHandler } from './index'

type Route = 'chat' | 'completions' | 'responses'

const ADAPTATION_REASON =
  'The ChatGPT subscription backend does not support these OpenAI parameters, so the compatibility layer omitted them.'

const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}

function translate(route: Route, body: Record<string, unknown>, noTools: boolean): TranslationResult {
  switch (route) {
    case 'chat':
      return translateChatRequest(body, { noTools })
    case 'completions':
      return translateCompletionRequest(body)
    case 'responses':
      return normalizeResponsesRequest(body, { noTools })
  }
}

function wholeSeconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.max(1, Math.ceil(value))
    : null
}

/** Map a failure of the upstream call or of the stream collection to the envelope. */
function generationFailure(rt: RelayRuntime, error: unknown): RelayError {
  if (isTranslateError(error)) {
    const upstream = (error.upstreamError ?? {}) as Record<string, unknown>
    const headers: Record<string, string> = {}
    const extra: Record<string, number> = {}
    if (error.status === 429) {
      const resetsIn = wholeSeconds(upstream.resets_in_seconds)
      headers['retry-after'] = String(resetsIn ?? 60)
      if (resetsIn !== null) extra.resets_in_seconds = resetsIn
      if (typeof upstream.resets_at === 'number') extra.resets_at = upstream.resets_at
    }
    return new RelayError({
      status: error.status,
      type: error.error.type,
      code: error.error.code,
      param: error.error.param,
      message: error.error.message,
      headers,
      extra,
      cause: error,
    })
  }
  return upstreamFailure(rt, error)
}

/**
 * The wire error object of `error` for in-band stream errors: the same `type` and `code` as the
 * HTTP error the failure would have given before the stream started (an upstream timeout is
 * `upstream_timeout` either way). A timeout keeps the upstream client's message, which says which
 * limit was hit (the stream idle timeout, mid-stream).
 */
function inBandError(rt: RelayRuntime, error: unknown): ReturnType<RelayError['toJSON']> {
  if (!isUpstreamError(error)) return toRelayError(error).toJSON()
  const envelope = upstreamFailure(rt, error).toJSON()
  if (error.code === 'timeout' && error.message.trim() !== '') envelope.error.message = error.message
  return envelope
}

/** Records what the stream reveals (terminal response, usage) and logs stream lines when asked. */
class StreamTap {
  response: ResponsesObject | null = null
  readonly #logLines: boolean

  constructor(
    private readonly rt: RelayRuntime,
    private readonly state: RequestState,
  ) {
    this.#logLines = rt.settings.config.logging.stream_lines && state.logged
  }

  /** The events of `events`, observed on the way (the non-stream path). */
  async *wrap(events: AsyncIterable<ResponsesEvent>): AsyncGenerator<ResponsesEvent, void, undefined> {
    for await (const event of events) {
      this.observe(event)
      yield event
    }
  }

  observe(event: ResponsesEvent): void {
    if (this.#logLines) this.rt.log.write(this.state.id, 'upstream_stream_line', { event })
    if (
      (event.type === 'response.completed' || event.type === 'response.incomplete') &&
      typeof event.response === 'object' &&
      event.response !== null
    ) {
      this.response = event.response as ResponsesObject
    }
  }
}

/**
 * A conversation's seed items in the shape the backend takes (the same normalisation as a
 * `/v1/responses` input; they were validated when the conversation was created).
 */
export function seedInput(items: unknown[]): ResponsesRequest['input'] {
  const normalised = normalizeResponsesRequest({ model: 'seed', input: items })
  if (!normalised.ok) {
    throw new RelayError({
      status: 400,
      type: 'invalid_request_error',
      code: normalised.error.code,
      param: normalised.error.param === null ? 'items' : normalised.error.param.replace(/^input/, 'items'),
      message: `Conversation items are not valid Responses input items: ${normalised.error.message}`,
    })
  }
  return normalised.request.input
}

/** The three generation routes: `chat/completions`, `completions`, `responses`. */
export function generationRoutes(
  rt: RelayRuntime,
  noTools: boolean,
): { chat: RelayHandler; completions: RelayHandler; responses: RelayHandler } {
  const handler =
    (route: Route): RelayHandler =>
    (event) =>
      generate(rt, event, route, noTools && route !== 'completions')
  return { chat: handler('chat'), completions: handler('completions'), responses: handler('responses') }
}

async function generate(rt: RelayRuntime, event: H3Event, route: Route, noTools: boolean): Promise<Response> {
  const state = stateOf(event)
  const body = await readJsonBody(rt, event, state, { emptyAsObject: false })
  const model = typeof body.model === 'string' ? body.model : null
  if (model !== null && /^claude[:-]/i.test(model)) {
    throw new RelayError({
      status: 422,
      type: 'invalid_request_error',
      code: 'provider_disabled',
      param: 'model',
      message: 'The Claude runtime is disabled for this AIRelays process.',
    })
  }
  if (!rt.settings.config.providers.openai.enabled) {
    throw new RelayError({
      status: 422,
      type: 'invalid_request_error',
      code: 'provider_disabled',
      param: 'model',
      message: `Unknown model \`${model ?? ''}\` and the OpenAI runtime is disabled.`,
    })
  }
  const translated = translate(route, body, noTools)
  if (!translated.ok) {
    const { error } = translated
    throw new RelayError({
      status: error.status,
      type: error.type,
      code: error.code,
      param: error.param,
      message: error.message,
    })
  }
  const { request, context, sessionId } = translated
  if (translated.ignoredParameters.length > 0) {
    state.headers['x-airelays-ignored-parameters'] = translated.ignoredParameters.join(',')
  }
  if (state.logged && (translated.ignoredParameters.length > 0 || translated.adaptations.length > 0)) {
    rt.log.write(state.id, 'compatibility_adaptation', {
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
    try {
      request.input = (await expandFileReferences(request.input, rt.files, {
        route: route === 'chat' ? 'chat' : 'responses',
      })) as typeof request.input
    } catch (error) {
      throw fileFailure(error)
    }
  }

  let stream: ResponsesStream
  try {
    stream = await rt.upstream.responses(request, {
      signal: state.abort.signal,
      sessionId,
      requestId: state.id,
    })
  } catch (error) {
    throw generationFailure(rt, error)
  }
  const tap = new StreamTap(rt, state)
  const remember = async (): Promise<void> => {
    const response = tap.response
    if (!response) return
    state.outboundExtra = {
      ...state.outboundExtra,
      id: response.id,
      model: response.model ?? context.model,
      usage: response.usage ?? null,
    }
    if (state.logged && response.usage) {
      rt.log.write(state.id, 'outbound_usage', {
        model: response.model ?? context.model,
        usage: response.usage,
      })
    }
    if (conversation && typeof response.id === 'string') {
      await rt.conversations.setLatestResponse(conversation.id, response.id).catch((error: unknown) => {
        rt.logger.warn(`AIRelays could not update conversation ${conversation.id}: ${String(error)}`)
      })
    }
  }

  if (!context.stream) {
    let response: ResponsesObject
    try {
      response = await aggregateResponse(tap.wrap(stream))
    } catch (error) {
      throw generationFailure(rt, error)
    }
    tap.response ??= response
    await remember()
    state.outboundExtra.object =
      route === 'chat' ? 'chat.completion' : route === 'completions' ? 'text_completion' : 'response'
    const out =
      route === 'chat'
        ? toChatCompletion(response, context)
        : route === 'completions'
          ? toTextCompletion(response, context)
          : response
    return jsonResponse(state, 200, out)
  }

  return streamResponse(rt, event, state, route, stream, tap, context, remember)
}

/** The headers of a stream, with what the relay core adds to every response. */
function streamHeaders(rt: RelayRuntime, state: RequestState): Record<string, string> {
  return {
    ...SSE_HEADERS,
    'x-request-id': state.id,
    ...state.headers,
    ...(rt.lifecycle.draining ? { connection: 'close' } : {}),
  }
}

/**
 * Starts the stream. Served by `serveRelay` on Node, frames go straight to the `ServerResponse`
 * and the handler settles when the stream has ended; elsewhere (`app.fetch`, a host app) the
 * answer is a `Response` with a streaming body.
 */
function streamResponse(
  rt: RelayRuntime,
  event: H3Event,
  state: RequestState,
  route: Route,
  stream: ResponsesStream,
  tap: StreamTap,
  context: TranslationContext,
  remember: () => Promise<void>,
): Response | Promise<Response> {
  const translator =
    route === 'responses'
      ? responsesFrames(rt)
      : chunkFrames(
          rt,
          (route === 'chat'
            ? chatStreamTranslator(context)
            : completionStreamTranslator(context)) as StreamTranslator<unknown>,
        )
  state.deferred = true
  state.outboundExtra = { stream: true }
  let frameCount = 0
  const logFrames = rt.settings.config.logging.stream_lines && state.logged
  // serveRelay listens with node:http (HTTP/1.1), so the response is a node:http ServerResponse
  const nodeRes = rt.settings.nodeResponses
    ? (event.runtime?.node?.res as ServerResponse | undefined)
    : undefined
  const web = nodeRes ? null : webSink()
  if (nodeRes) nodeRes.writeHead(200, streamHeaders(rt, state))
  let sse: SseStream | null = null
  sse = startSseStream(nodeRes ? nodeSink(nodeRes) : (web as ReturnType<typeof webSink>).sink, {
    events: stream,
    translator,
    errorFrame: (error) => {
      const envelope = inBandError(rt, error)
      return rt.secrets.scrub(
        route === 'responses'
          ? eventFrame('error', { ...envelope.error, type: 'error', error: envelope.error })
          : dataFrame(envelope),
      )
    },
    keepAliveMs: rt.settings.keepAliveMs,
    onEvent: (upstreamEvent) => tap.observe(upstreamEvent),
    onFrame: (frame) => {
      frameCount++
      if (logFrames) rt.log.write(state.id, 'outbound_stream_chunk', { frame })
    },
    onAbort: (reason) => {
      if (!state.abort.signal.aborted) state.abort.abort(reason)
      stream.cancel()
    },
    onFinish: (outcome: StreamOutcome, error?: unknown) => {
      if (sse) rt.lifecycle.streams.delete(sse)
      state.outboundExtra.frames = frameCount
      if (outcome === 'failed' && error !== undefined && state.logged) {
        rt.log.write(state.id, 'outbound_stream_error', { error: inBandError(rt, error).error })
      }
      void remember().finally(() => finishRequest(rt, state, 200, outcome))
    },
  })
  rt.lifecycle.streams.add(sse)
  // The stream owns the Node response: answer h3 only once it has ended (the body is empty and
  // the head was already sent, so nothing more is written).
  if (nodeRes) return sse.done.then(() => new Response(null, { status: 200 }))
  return new Response((web as ReturnType<typeof webSink>).stream, { status: 200, headers: SSE_HEADERS })
}

/**
 * Chat / Completions chunks as `data:` frames; `[DONE]` only after a clean end. A failure event of
 * the upstream keeps the translator's envelope (the upstream's own code); a failure of the call
 * itself (timeout, connection) gets the relay's envelope, as it would before the stream started.
 */
function chunkFrames(
  rt: RelayRuntime,
  translator: StreamTranslator<unknown>,
): FrameTranslator<ResponsesEvent> {
  const emit = (items: StreamItem<unknown>[], out: string[], thrown?: unknown): StreamOutcome | null => {
    for (const item of items) {
      if (item.kind === 'chunk') out.push(dataFrame(item.data))
      else if (item.kind === 'error') {
        const data =
          isUpstreamError(thrown) && thrown.upstreamError === undefined ? inBandError(rt, thrown) : item.data
        // upstream error text can quote a token: scrub the known secrets out of it
        out.push(rt.secrets.scrub(dataFrame(data)))
        return 'failed'
      } else {
        out.push(DONE_FRAME)
        return 'completed'
      }
    }
    return null
  }
  return {
    push: (event, out) => emit(translator.push(event), out),
    fail: (error, out) => emit(translator.fail(error), out, error) ?? 'failed',
    end: (out) => emit(translator.end(), out) ?? 'failed',
  }
}

/** `/v1/responses`: every upstream event re-emitted as `event:`/`data:`; a failure as an `error` event. */
function responsesFrames(rt: RelayRuntime): FrameTranslator<ResponsesEvent> {
  return {
    push(event, out) {
      out.push(eventFrame(event.type, event))
      return event.type === 'response.completed' || event.type === 'response.incomplete' ? 'completed' : null
    },
    fail(error, out) {
      const failureEvent = isUpstreamError(error) ? error.event : undefined
      if (failureEvent && typeof failureEvent.type === 'string') {
        out.push(rt.secrets.scrub(eventFrame(failureEvent.type, failureEvent)))
      } else {
        const envelope = inBandError(rt, error)
        out.push(
          rt.secrets.scrub(eventFrame('error', { ...envelope.error, type: 'error', error: envelope.error })),
        )
      }
      return 'failed'
    },
    end: () => 'completed',
  }
}

// `POST {baseUrl}/responses`: one call is a series of attempts (retries, plus one after a 401 that
// reloaded or refreshed the credentials); an attempt succeeds once the first content-bearing event
// arrived, and hands the open body to an `UpstreamResponsesStream`.
import type { ResponsesCallOptions, ResponsesStream } from '../../client-api'
import { isRecord, isUpstreamError, UpstreamError } from '../../errors'
import type { ResponsesEvent } from '../../types'
import { abortedError, errorFromHttpResponse, errorFromStreamEvent, readBodyText } from '../http'
import { jsonRequestBody, type RequestBody } from '../json-body'
import {
  EventPump,
  isFailureEvent,
  STREAM_EMPTY_MESSAGE,
  STREAM_INCOMPLETE_MESSAGE,
  UpstreamResponsesStream,
} from '../stream'
import type { ReadyAuth } from '../tokens'
import { type ClientContext, callHook, ensureOpen } from './context'
import { secretsOf } from './credentials'
import { withRetries } from './retries'
import { type BackendResponse, backendHeaders, sendBackend, transportFailure } from './transport'

/** State of one `responses()` call across its attempts. */
interface ResponsesCall {
  readonly url: string
  readonly signal: AbortSignal | undefined
  readonly requestId: string | null
  /** Sent as `session_id` / `session-id` and used as `prompt_cache_key` when the body has none. */
  readonly sessionId: string | null
  /** The caller's extra headers (never overriding the client's own). */
  readonly extraHeaders: Readonly<Record<string, string>>
  /**
   * The serialised body, dropped once the call settled: the stream's callbacks keep the call alive
   * for as long as the stream runs, and a long prompt should not stay in memory that long.
   */
  json: RequestBody | null
  /** Upstream calls made so far. */
  attempts: number
  /** The one retry after a 401 was used. */
  unauthorizedRetried: boolean
}

/** One attempt's link to the caller's signal: its own controller, so a failed attempt's socket is always released. */
interface AttemptLink {
  readonly signal: AbortSignal
  /** Stop forwarding the caller's abort (the attempt failed or its stream ended). */
  detach(): void
}

/** One attempt: the credentials it uses and its link to the caller's signal. */
interface Attempt {
  readonly ready: ReadyAuth
  /** Tokens to keep out of error messages. */
  readonly secrets: string[]
  readonly link: AttemptLink
}

/** What an attempt read before handing over: the response and the events up to the first content. */
interface OpenedStream {
  response: BackendResponse
  pump: EventPump
  buffered: ResponsesEvent[]
  mapError: (raw: unknown) => UpstreamError
}

/** `responses()` of the client. */
export async function callResponses(
  ctx: ClientContext,
  body: Record<string, unknown>,
  options: ResponsesCallOptions = {},
): Promise<ResponsesStream> {
  if (!isRecord(body)) throw new TypeError('responses(body): body must be a JSON object')
  ensureOpen(ctx)
  const call = prepareCall(ctx, body, options)
  try {
    return await withRetries(ctx, () => attemptWithRecovery(ctx, call), call)
  } finally {
    call.json = null
  }
}

function prepareCall(
  ctx: ClientContext,
  body: Record<string, unknown>,
  options: ResponsesCallOptions,
): ResponsesCall {
  const sessionId =
    options.sessionId ?? (typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : null) ?? null
  const payload: Record<string, unknown> = { ...body }
  if (sessionId && (payload.prompt_cache_key === undefined || payload.prompt_cache_key === null)) {
    payload.prompt_cache_key = sessionId
  }
  return {
    url: `${ctx.settings.baseUrl}/responses`,
    signal: options.signal,
    requestId: options.requestId ?? null,
    sessionId,
    extraHeaders: options.headers ?? {},
    json: jsonRequestBody(payload),
    attempts: 0,
    unauthorizedRetried: false,
  }
}

/** One attempt with fresh credentials; an upstream 401 reloads or refreshes them and tries once more. */
async function attemptWithRecovery(ctx: ClientContext, call: ResponsesCall): Promise<ResponsesStream> {
  const ready = await ctx.credentials.ready({ signal: call.signal })
  try {
    return await attempt(ctx, call, ready)
  } catch (error) {
    if (
      !call.unauthorizedRetried &&
      isUpstreamError(error) &&
      error.code === 'auth_rejected' &&
      error.upstreamStatus === 401
    ) {
      call.unauthorizedRetried = true
      return attempt(ctx, call, await ctx.credentials.recover(ready, { signal: call.signal }))
    }
    throw error
  }
}

function linkToCaller(signal: AbortSignal | undefined): AttemptLink {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(signal?.reason)
  if (signal?.aborted) controller.abort(signal.reason)
  else signal?.addEventListener('abort', onAbort, { once: true })
  return { signal: controller.signal, detach: () => signal?.removeEventListener('abort', onAbort) }
}

/** Headers a caller's `headers` option never replaces. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'chatgpt-account-id',
  'accept',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'version',
  'originator',
  'user-agent',
  'session_id',
])

/**
 * Frames that carry no content and may precede it: the standard preamble and the backend's
 * non-standard ones (`response.metadata`, `codex.*`, `responsesapi.*`).
 */
export function isPreambleEvent(type: unknown): boolean {
  if (type === 'response.created' || type === 'response.in_progress' || type === 'response.metadata')
    return true
  return typeof type === 'string' && (type.startsWith('codex.') || type.startsWith('responsesapi.'))
}

function responsesHeaders(ctx: ClientContext, call: ResponsesCall, ready: ReadyAuth): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(call.extraHeaders)) {
    const lower = name.toLowerCase()
    if (!RESERVED_HEADERS.has(lower) && typeof value === 'string') headers[lower] = value
  }
  if (call.sessionId) {
    headers.session_id = call.sessionId
    headers['session-id'] ??= call.sessionId
  }
  Object.assign(headers, backendHeaders(ctx, ready, 'text/event-stream'), {
    'content-type': 'application/json',
  })
  return headers
}

/** One upstream call; resolves with the stream once the first content event arrived. */
async function attempt(ctx: ClientContext, call: ResponsesCall, ready: ReadyAuth): Promise<ResponsesStream> {
  call.attempts++
  const current: Attempt = { ready, secrets: secretsOf(ready), link: linkToCaller(call.signal) }
  const { link } = current
  let opened: OpenedStream
  try {
    opened = await openStream(ctx, call, current)
  } catch (error) {
    link.detach()
    throw error
  }
  // The caller's signal stays linked to this attempt until the stream ends.
  return new UpstreamResponsesStream({
    pump: opened.pump,
    buffered: opened.buffered,
    status: opened.response.statusCode,
    headers: opened.response.headers,
    attempts: call.attempts,
    sessionId: call.sessionId,
    requestId: call.requestId,
    nowMs: ctx.clock,
    secrets: current.secrets,
    signal: link.signal,
    mapError: opened.mapError,
    onEnd: (info) => {
      link.detach()
      callHook(ctx.hooks.onStreamEnd, info)
    },
  })
}

/** Send the request, turn an error status into its error, then read up to the first content event. */
async function openStream(ctx: ClientContext, call: ResponsesCall, current: Attempt): Promise<OpenedStream> {
  const { signal } = call
  let response: BackendResponse
  try {
    response = await sendBackend(ctx, {
      method: 'POST',
      url: call.url,
      headers: responsesHeaders(ctx, call, current.ready),
      body: call.json as RequestBody, // set until the call settles
      signal: current.link.signal,
      attempt: call.attempts,
      requestId: call.requestId,
      sessionId: call.sessionId,
    })
  } catch (error) {
    throw signal?.aborted ? abortedError(signal.reason) : error
  }
  if (response.statusCode >= 400) {
    let text: string
    try {
      text = await readBodyText(response.body)
    } catch (error) {
      throw transportFailure(ctx, error, signal, 'Upstream request')
    }
    throw errorFromHttpResponse({
      status: response.statusCode,
      headers: response.headers,
      text,
      nowMs: ctx.clock(),
      secrets: current.secrets,
      what: 'Upstream request',
      hint: ctx.settings.loginHint('first'),
    })
  }
  const pump = new EventPump(response.body, ctx.settings.streamIdleTimeoutMs, () =>
    idleError(ctx.settings.streamIdleTimeoutMs),
  )
  const mapError = pumpErrorMapper(pump, signal)
  const buffered = await readUntilContent(ctx, { pump, mapError, secrets: current.secrets })
  return { response, pump, buffered, mapError }
}

function idleError(idleTimeoutMs: number): UpstreamError {
  const idleSeconds = Number((idleTimeoutMs / 1000).toFixed(3))
  return new UpstreamError({
    code: 'timeout',
    message: `Upstream stream was idle for more than ${idleSeconds} s.`,
  })
}

/** Maps pump rejections (socket errors, abort, idle timeout) to `UpstreamError`s. */
function pumpErrorMapper(pump: EventPump, signal: AbortSignal | undefined): (raw: unknown) => UpstreamError {
  return (raw) => {
    if (signal?.aborted) return abortedError(signal.reason)
    if (isUpstreamError(raw)) return raw
    return new UpstreamError({
      code: pump.messages === 0 ? 'upstream_unavailable' : 'stream_incomplete',
      message:
        pump.messages === 0 ? 'Upstream connection failed before any event.' : STREAM_INCOMPLETE_MESSAGE,
      cause: raw,
    })
  }
}

/**
 * Pull events until the first content-bearing one (`response.created` / `response.in_progress` are
 * buffered for replay). A failure event, an empty or cut stream destroy the pump and throw.
 */
async function readUntilContent(
  ctx: ClientContext,
  read: {
    pump: EventPump
    mapError: (raw: unknown) => UpstreamError
    secrets: ReadonlyArray<string | null | undefined>
  },
): Promise<ResponsesEvent[]> {
  const { pump } = read
  const buffered: ResponsesEvent[] = []
  for (;;) {
    let event: ResponsesEvent | null
    try {
      event = await pump.next()
    } catch (raw) {
      pump.destroy()
      throw read.mapError(raw)
    }
    if (event === null) {
      pump.destroy()
      throw new UpstreamError({
        code: 'stream_incomplete',
        message: buffered.length === 0 ? STREAM_EMPTY_MESSAGE : STREAM_INCOMPLETE_MESSAGE,
      })
    }
    buffered.push(event)
    if (isPreambleEvent(event.type)) continue
    if (isFailureEvent(event.type)) {
      pump.destroy()
      throw errorFromStreamEvent(event, false, ctx.clock(), read.secrets)
    }
    return buffered
  }
}

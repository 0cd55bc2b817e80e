import type { ServerResponse } from 'node:http'
import { FastResponse } from 'srvx'
import { inBandEnvelope } from '../errors/to-relay-error'
import type { Terminable } from '../request/lifecycle'
import type { RelayRequest } from '../request/relay-request'
import type { FrameWriter, StreamOutcome } from './frame-writer'
import { type EventSource, nodeSink, type SseStream, startSseStream, webSink } from './sse-stream'

const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}

/** Options of {@link streamResponse}. */
export interface StreamResponseOptions<E> {
  /** The upstream events. */
  events: EventSource<E>
  /** The wire format's frames. */
  writer: FrameWriter<E>
  /** Write `: keep-alive` after this many idle milliseconds (0 disables it). */
  keepAliveMs: number
  /** Write a `: keep-alive` comment at once (the upstream has not answered yet). @default false */
  leadingKeepAlive?: boolean
  /**
   * Write straight to the Node `ServerResponse` (`serveRelay`, which listens with node:http) and
   * settle once the stream has ended; else answer with a `Response` whose body is the stream.
   */
  nodeResponses: boolean
  /** The relay's open streams (shutdown terminates them). */
  streams: Set<Terminable>
  /** Log every frame as `outbound_stream_chunk`. */
  logFrames: boolean
  /** Called with each upstream event before it is translated (observation, logging), optional. */
  onEvent?: (event: E) => void
  /** Called once when the stream has ended; the request finishes when it settles. */
  onEnd: () => Promise<void>
}

/**
 * Answer `req` with an SSE stream of `options.events` in the frames of `options.writer`. Served
 * by `serveRelay` on Node, frames go straight to the `ServerResponse` and the answer settles when
 * the stream has ended; elsewhere (`app.fetch`, a host app) the answer is a `Response` with a
 * pull-based streaming body. The request finishes with the stream's outcome.
 */
export function streamResponse<E>(
  req: RelayRequest,
  options: StreamResponseOptions<E>,
): Response | Promise<Response> {
  const close = req.keepOpen()
  req.note({ stream: true })
  let frameCount = 0
  const nodeRes = options.nodeResponses
    ? (req.event.runtime?.node?.res as ServerResponse | undefined)
    : undefined
  const web = nodeRes ? null : webSink()
  if (nodeRes) {
    nodeRes.writeHead(200, { ...SSE_HEADERS, ...req.responseHeaders() })
    // Node holds the head until the first body write, and a Chat Completions stream writes
    // nothing before the first text delta: send the head now, so the client knows the stream
    // has started while the model is still thinking (bench/findings.md, M3).
    nodeRes.flushHeaders()
  }
  let sse: SseStream | null = null
  sse = startSseStream(nodeRes ? nodeSink(nodeRes) : (web as ReturnType<typeof webSink>).sink, {
    events: options.events,
    writer: options.writer,
    keepAliveMs: options.keepAliveMs,
    leadingKeepAlive: options.leadingKeepAlive === true,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    onFrame: (frame) => {
      frameCount++
      if (options.logFrames) req.record('outbound_stream_chunk', { frame })
    },
    onAbort: (reason) => {
      req.abort(reason)
      options.events.cancel()
    },
    onFinish: (outcome: StreamOutcome, error?: unknown) => {
      if (sse) options.streams.delete(sse)
      req.note({ frames: frameCount })
      if (outcome === 'failed' && error !== undefined) {
        req.record('outbound_stream_error', { error: inBandEnvelope(error, req.failureContext).error })
      }
      void options.onEnd().finally(() => close(outcome))
    },
  })
  options.streams.add(sse)
  // The stream owns the Node response: answer h3 only once it has ended (the body is empty and
  // the head was already sent, so nothing more is written).
  if (nodeRes) {
    return sse.done.then(() => {
      quietSecondEnd(nodeRes)
      return new FastResponse(null, { status: 200 })
    })
  }
  return new Response((web as ReturnType<typeof webSink>).stream, { status: 200, headers: SSE_HEADERS })
}

/**
 * The stream has ended `res`; the Node adapter (srvx) still calls `res.end(callback)` once the
 * handler settles. On a finished response Node answers that by building an
 * `ERR_STREAM_ALREADY_FINISHED` error for the callback, a stack trace per stream (about 40 µs,
 * bench/findings.md). From now on a further `end()` only calls its callback.
 */
function quietSecondEnd(res: ServerResponse): void {
  const end = res.end
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (!this.writableFinished) return (end as (...a: unknown[]) => ServerResponse).apply(this, args)
    const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined
    if (callback) process.nextTick(callback)
    return this
  } as ServerResponse['end']
}

import type { ErrorEnvelope } from '../errors/relay-error'
import type { RequestOutcome } from '../request/relay-request'

/** How an SSE response ended: the outcome its request finishes with. */
export type StreamOutcome = RequestOutcome

/**
 * Turns the upstream events of one stream into the SSE frames of one wire format, synchronously.
 * Each method appends complete frames (`data: …\n\n`) to `out`. A new wire format is a new frame
 * writer (plus its translator and route); the stream loop, the sinks and the request do not change.
 */
export interface FrameWriter<E> {
  /** Frames for one upstream event; the outcome when this event ended the stream, else `null`. */
  push(event: E, out: string[]): StreamOutcome | null
  /** Frames for a failure thrown by the upstream stream (the stream ends with the outcome). */
  fail(error: unknown, out: string[]): StreamOutcome
  /** Frames when the upstream stream ended by itself (the stream ends with the outcome). */
  end(out: string[]): StreamOutcome
  /** The in-band error frame written when the relay ends the stream itself (shutdown, a bug). */
  abortFrame(error: unknown): string
  /** What is written after an idle period (`: keep-alive\n\n` when absent; Anthropic streams send `ping`). */
  readonly keepAliveFrame?: string
}

/** What a frame writer gets from the relay. */
export interface FrameWriterContext {
  /** The in-band error envelope of a failure: the type and code the HTTP error would have had. */
  envelope(error: unknown): ErrorEnvelope
  /** `frame` with every known secret scrubbed out (for frames quoting upstream error text). */
  scrub(frame: string): string
}

/** `data: <json>\n\n`. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}

/** `event: <name>\ndata: <json>\n\n`. */
export function eventFrame(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
}

/** The terminal `[DONE]` frame of Chat Completions / Completions streams. */
export const DONE_FRAME = 'data: [DONE]\n\n'

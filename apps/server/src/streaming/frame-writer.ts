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
  /**
   * The client is a Codex build (its `originator` or `user-agent` says `codex…`): it is given the
   * backend's non-standard frames, which other Responses clients (the OpenAI SDKs) reject.
   */
  codexClient: boolean
}

/** `data: <json>\n\n`. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}

/** Event names the relay writes as they are (every OpenAI and Codex event type). */
const PLAIN_EVENT_NAME = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * An event name safe for an `event:` line: an upstream event `type` is data, and a CR, LF or
 * other odd character in it could add lines (a forged `data:` or a second event) to the stream
 * (issue 26, item 9). Such characters become `_`; the name is cut to 128 characters.
 */
export function safeEventName(name: string): string {
  if (PLAIN_EVENT_NAME.test(name)) return name
  const cleaned = String(name)
    .replace(/[^A-Za-z0-9._:-]/g, '_')
    .slice(0, 128)
  return cleaned === '' ? 'message' : cleaned
}

/** `event: <name>\ndata: <json>\n\n`. */
export function eventFrame(name: string, payload: unknown): string {
  return `event: ${safeEventName(name)}\ndata: ${JSON.stringify(payload)}\n\n`
}

/** The terminal `[DONE]` frame of Chat Completions / Completions streams. */
export const DONE_FRAME = 'data: [DONE]\n\n'

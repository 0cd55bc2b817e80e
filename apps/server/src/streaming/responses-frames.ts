import { isUpstreamError, type ResponsesEvent } from '@airelays/upstream-client'
import type { ErrorEnvelope } from '../errors/relay-error'
import { eventFrame, type FrameWriter, type FrameWriterContext } from './frame-writer'

/**
 * The Responses API's `error` event for an envelope, numbered after the last event the client got
 * (SDKs such as the AI SDK validate `sequence_number` on every event, the error event included).
 */
function errorEvent(envelope: ErrorEnvelope, sequenceNumber: number): string {
  return eventFrame('error', {
    ...envelope.error,
    type: 'error',
    error: envelope.error,
    sequence_number: sequenceNumber,
  })
}

/** `event` with `response.previous_response_id` set (a chained request; the backend saw none). */
function withPrevious(event: ResponsesEvent, previousResponseId: string): ResponsesEvent {
  const response = event.response
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return event
  return { ...event, response: { ...response, previous_response_id: previousResponseId } }
}

/**
 * `/v1/responses` streams: every upstream event re-emitted as `event:`/`data:`; a failure as an
 * `error` event that continues the stream's `sequence_number`s. With `previousResponseId` (a
 * request the relay expanded) the `response` objects of the events name it. The backend's
 * non-standard `response.metadata`, `codex.*` and `responsesapi.*` frames go to Codex clients only
 * (the OpenAI SDKs' stream helpers throw on event types they do not know), and never ahead of
 * `response.created`: those sent before it are written right after.
 */
export function responsesFrames(
  ctx: FrameWriterContext,
  previousResponseId?: string,
): FrameWriter<ResponsesEvent> {
  let next = 0
  const number = (event: object): void => {
    const seq = (event as { sequence_number?: unknown }).sequence_number
    if (typeof seq === 'number' && seq >= next) next = seq + 1
  }
  const write = (event: ResponsesEvent, out: string[]): void => {
    number(event)
    out.push(eventFrame(event.type, previousResponseId ? withPrevious(event, previousResponseId) : event))
  }
  let created = false
  const held: ResponsesEvent[] = []
  const flushHeld = (out: string[]): void => {
    for (const event of held.splice(0)) write(event, out)
  }
  return {
    push(event, out) {
      if (!ctx.codexClient && isNonStandard(event.type)) return null
      if (!created) {
        if (event.type !== 'response.created' && isNonStandard(event.type)) {
          held.push(event)
          return null
        }
        created = true
        write(event, out)
        flushHeld(out)
        return null
      }
      write(event, out)
      return event.type === 'response.completed' || event.type === 'response.incomplete' ? 'completed' : null
    },
    fail(error, out) {
      flushHeld(out)
      const failureEvent = isUpstreamError(error) ? error.event : undefined
      if (failureEvent && typeof failureEvent.type === 'string') {
        const numbered =
          typeof (failureEvent as { sequence_number?: unknown }).sequence_number === 'number'
            ? failureEvent
            : { ...failureEvent, sequence_number: next }
        number(numbered)
        out.push(ctx.scrub(eventFrame(failureEvent.type, numbered)))
      } else {
        out.push(ctx.scrub(errorEvent(ctx.envelope(error), next++)))
      }
      return 'failed'
    },
    end: (out) => {
      flushHeld(out)
      return 'completed'
    },
    abortFrame: (error) => ctx.scrub(errorEvent(ctx.envelope(error), next++)),
  }
}

/** The backend's frames that no Responses client is guaranteed to know. */
export function isNonStandard(type: string): boolean {
  return type === 'response.metadata' || type.startsWith('codex.') || type.startsWith('responsesapi.')
}

import { isUpstreamError, type ResponsesEvent } from '@airelays/upstream-client'
import type { ErrorEnvelope } from '../errors/relay-error'
import { eventFrame, type FrameWriter, type FrameWriterContext } from './frame-writer'

/** The Responses API's `error` event for an envelope. */
function errorEvent(envelope: ErrorEnvelope): string {
  return eventFrame('error', { ...envelope.error, type: 'error', error: envelope.error })
}

/**
 * `/v1/responses` streams: every upstream event re-emitted as `event:`/`data:`; a failure as an
 * `error` event. The backend's non-standard `response.metadata`, `codex.*` and `responsesapi.*`
 * frames go to Codex clients only (the OpenAI SDKs' stream helpers throw on event types they do
 * not know), and never ahead of `response.created`: those sent before it are written right after.
 */
export function responsesFrames(ctx: FrameWriterContext): FrameWriter<ResponsesEvent> {
  let created = false
  const held: ResponsesEvent[] = []
  const flushHeld = (out: string[]): void => {
    for (const event of held.splice(0)) out.push(eventFrame(event.type, event))
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
        out.push(eventFrame(event.type, event))
        flushHeld(out)
        return null
      }
      out.push(eventFrame(event.type, event))
      return event.type === 'response.completed' || event.type === 'response.incomplete' ? 'completed' : null
    },
    fail(error, out) {
      flushHeld(out)
      const failureEvent = isUpstreamError(error) ? error.event : undefined
      if (failureEvent && typeof failureEvent.type === 'string') {
        out.push(ctx.scrub(eventFrame(failureEvent.type, failureEvent)))
      } else {
        out.push(ctx.scrub(errorEvent(ctx.envelope(error))))
      }
      return 'failed'
    },
    end: (out) => {
      flushHeld(out)
      return 'completed'
    },
    abortFrame: (error) => ctx.scrub(errorEvent(ctx.envelope(error))),
  }
}

/** The backend's frames that no Responses client is guaranteed to know. */
export function isNonStandard(type: string): boolean {
  return type === 'response.metadata' || type.startsWith('codex.') || type.startsWith('responsesapi.')
}

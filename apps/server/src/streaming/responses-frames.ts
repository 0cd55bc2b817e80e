import { isUpstreamError, type ResponsesEvent } from '@airelays/upstream-client'
import type { ErrorEnvelope } from '../errors/relay-error'
import { eventFrame, type FrameWriter, type FrameWriterContext } from './frame-writer'

/** The Responses API's `error` event for an envelope. */
function errorEvent(envelope: ErrorEnvelope): string {
  return eventFrame('error', { ...envelope.error, type: 'error', error: envelope.error })
}

/** `/v1/responses` streams: every upstream event re-emitted as `event:`/`data:`; a failure as an `error` event. */
export function responsesFrames(ctx: FrameWriterContext): FrameWriter<ResponsesEvent> {
  return {
    push(event, out) {
      out.push(eventFrame(event.type, event))
      return event.type === 'response.completed' || event.type === 'response.incomplete' ? 'completed' : null
    },
    fail(error, out) {
      const failureEvent = isUpstreamError(error) ? error.event : undefined
      if (failureEvent && typeof failureEvent.type === 'string') {
        out.push(ctx.scrub(eventFrame(failureEvent.type, failureEvent)))
      } else {
        out.push(ctx.scrub(errorEvent(ctx.envelope(error))))
      }
      return 'failed'
    },
    end: () => 'completed',
    abortFrame: (error) => ctx.scrub(errorEvent(ctx.envelope(error))),
  }
}

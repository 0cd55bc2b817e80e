import {
  type AnthropicStreamEvent,
  type MessagesContext,
  messagesStreamTranslator,
  toAnthropicError,
  toAnthropicSse,
} from '@airelays/translate'
import { isUpstreamError, type ResponsesEvent } from '@airelays/upstream-client'
import type { FrameWriter, FrameWriterContext, StreamOutcome } from './frame-writer'

/** The `ping` frame Anthropic streams carry during upstream silence (Claude Code's watchdog reads bytes). */
export const PING_FRAME: string = toAnthropicSse({ event: 'ping', data: { type: 'ping' } })

/** The Anthropic `event: error` frame for a relay-side failure (timeout, connection, shutdown). */
function relayErrorFrame(error: unknown, ctx: FrameWriterContext): string {
  const { error: relay } = ctx.envelope(error)
  const { body } = toAnthropicError({
    status: statusOf(relay),
    code: relay.code,
    type: relay.type,
    message: relay.message,
  })
  return ctx.scrub(toAnthropicSse({ event: 'error', data: { type: 'error', error: body.error } }))
}

/** The HTTP status the relay envelope stands for (its `type`/`code` name it; no status is kept in-band). */
function statusOf(relay: { type: string; code: string | null }): number {
  if (relay.code === 'upstream_timeout') return 504
  if (relay.type === 'rate_limit_error' || relay.code === 'usage_limit_reached') return 429
  return 500
}

/**
 * `/v1/messages` streams: every Anthropic event with its `event:` line, `ping` frames during
 * upstream silence (the keep-alive of this format), and one `event: error` frame for a failure.
 * When the translator has finished (a local stop-sequence match, or `message_stop`), the outcome
 * is returned at once so the stream loop closes the response and cancels the upstream.
 */
export function messagesFrames(
  context: MessagesContext,
  ctx: FrameWriterContext,
  options: { inputTokens: number },
): FrameWriter<ResponsesEvent> & { keepAliveFrame: string } {
  const translator = messagesStreamTranslator(context, { inputTokens: options.inputTokens })
  const emit = (events: AnthropicStreamEvent[], out: string[], thrown?: unknown): StreamOutcome | null => {
    let failed = false
    for (const event of events) {
      if (event.event === 'error') {
        failed = true
        // a failure of the call itself (timeout, connection) keeps the relay's classification
        const frame =
          thrown !== undefined && isUpstreamError(thrown) && thrown.upstreamError === undefined
            ? relayErrorFrame(thrown, ctx)
            : ctx.scrub(toAnthropicSse(event))
        out.push(frame)
      } else {
        out.push(toAnthropicSse(event))
      }
    }
    if (failed) return 'failed'
    return translator.finished ? 'completed' : null
  }
  return {
    keepAliveFrame: PING_FRAME,
    push: (event, out) => emit(translator.push(event), out),
    fail: (error, out) => emit(translator.fail(error), out, error) ?? 'failed',
    end: (out) => emit(translator.end(), out) ?? 'failed',
    abortFrame: (error) => relayErrorFrame(error, ctx),
  }
}

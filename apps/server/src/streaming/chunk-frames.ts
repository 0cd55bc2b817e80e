import {
  chatStreamTranslator,
  completionStreamTranslator,
  type StreamItem,
  type StreamTranslator,
  type TranslationContext,
} from '@airelays/translate'
import { isUpstreamError, type ResponsesEvent } from '@airelays/upstream-client'
import {
  DONE_FRAME,
  dataFrame,
  type FrameWriter,
  type FrameWriterContext,
  type StreamOutcome,
} from './frame-writer'
import { isNonStandard } from './responses-frames'

/**
 * The frames of the chunk-based wire formats (Chat Completions, Completions): each chunk of
 * `translator` as a `data:` frame, `[DONE]` only after a clean end. A failure event of the
 * upstream keeps the translator's envelope (the upstream's own code); a failure of the call itself
 * (timeout, connection) gets the relay's envelope, as it would before the stream started.
 */
function chunkFrames(
  translator: StreamTranslator<unknown>,
  ctx: FrameWriterContext,
): FrameWriter<ResponsesEvent> {
  const emit = (items: StreamItem<unknown>[], out: string[], thrown?: unknown): StreamOutcome | null => {
    for (const item of items) {
      if (item.kind === 'chunk') out.push(dataFrame(item.data))
      else if (item.kind === 'error') {
        const data =
          isUpstreamError(thrown) && thrown.upstreamError === undefined ? ctx.envelope(thrown) : item.data
        // upstream error text can quote a token: scrub the known secrets out of it
        out.push(ctx.scrub(dataFrame(data)))
        return 'failed'
      } else {
        out.push(DONE_FRAME)
        return 'completed'
      }
    }
    return null
  }
  return {
    // the backend's non-standard frames (`response.metadata`, `codex.*`, `responsesapi.*`) carry
    // nothing these formats can express
    push: (event, out) => (isNonStandard(event.type) ? null : emit(translator.push(event), out)),
    fail: (error, out) => emit(translator.fail(error), out, error) ?? 'failed',
    end: (out) => emit(translator.end(), out) ?? 'failed',
    abortFrame: (error) => ctx.scrub(dataFrame(ctx.envelope(error))),
  }
}

/** `/v1/chat/completions` streams: `chat.completion.chunk` objects as `data:` frames, then `[DONE]`. */
export function chatFrames(
  context: TranslationContext,
  ctx: FrameWriterContext,
): FrameWriter<ResponsesEvent> {
  return chunkFrames(chatStreamTranslator(context) as StreamTranslator<unknown>, ctx)
}

/** `/v1/completions` streams: `text_completion` chunks as `data:` frames, then `[DONE]`. */
export function completionsFrames(
  context: TranslationContext,
  ctx: FrameWriterContext,
): FrameWriter<ResponsesEvent> {
  return chunkFrames(completionStreamTranslator(context) as StreamTranslator<unknown>, ctx)
}

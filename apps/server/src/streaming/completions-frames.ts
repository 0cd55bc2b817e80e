import {
  completionStreamTranslator,
  type StreamTranslator,
  type TranslationContext,
} from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { chunkFrames } from './chunk-frames'
import type { FrameWriter, FrameWriterContext } from './frame-writer'

/** `/v1/completions` streams: `text_completion` chunks as `data:` frames, then `[DONE]`. */
export function completionsFrames(
  context: TranslationContext,
  ctx: FrameWriterContext,
): FrameWriter<ResponsesEvent> {
  return chunkFrames(completionStreamTranslator(context) as StreamTranslator<unknown>, ctx)
}

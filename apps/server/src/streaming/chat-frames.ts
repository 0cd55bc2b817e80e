import { chatStreamTranslator, type StreamTranslator, type TranslationContext } from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import { chunkFrames } from './chunk-frames'
import type { FrameWriter, FrameWriterContext } from './frame-writer'

/** `/v1/chat/completions` streams: `chat.completion.chunk` objects as `data:` frames, then `[DONE]`. */
export function chatFrames(
  context: TranslationContext,
  ctx: FrameWriterContext,
): FrameWriter<ResponsesEvent> {
  return chunkFrames(chatStreamTranslator(context) as StreamTranslator<unknown>, ctx)
}

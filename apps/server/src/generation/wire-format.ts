import type { ResponsesObject, TranslationContext, TranslationResult } from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import type { FrameWriter, FrameWriterContext } from '../streaming/frame-writer'

/**
 * One client-facing generation API (Chat Completions, Completions, Responses) as the generation
 * pipeline sees it: how a request body becomes a Responses request, how the aggregated answer is
 * shaped, and which frame writer streams it. A new wire format is a route file that defines one
 * of these (with its translator and frame writer); the pipeline itself does not change.
 */
export interface WireFormat {
  /** Translate a client body into the Responses request the backend takes. */
  translate(body: Record<string, unknown>, options: { noTools: boolean }): TranslationResult
  /** Which content parts uploaded file references expand into. */
  fileParts: 'chat' | 'responses'
  /** The `object` of the `outbound_response` record of a non-stream answer. */
  object: string
  /** The non-stream answer body for the aggregated upstream response. */
  toJson(response: ResponsesObject, context: TranslationContext): unknown
  /** The frames of a streamed answer. */
  frames(context: TranslationContext, ctx: FrameWriterContext): FrameWriter<ResponsesEvent>
}

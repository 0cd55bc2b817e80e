import { normalizeResponsesRequest } from '@airelays/translate'
import { createGeneration, type GenerateOptions } from '../generation/pipeline'
import type { WireFormat } from '../generation/wire-format'
import type { RelayRuntime } from '../runtime'
import { responsesFrames } from '../streaming/responses-frames'
import type { RelayHandler } from './handler'

/** The Responses API, passed through after normalisation. */
export const responsesFormat: WireFormat = {
  translate: (body, options) => normalizeResponsesRequest(body, options),
  fileParts: 'responses',
  object: 'response',
  toJson: (response) => response,
  frames: (_context, ctx) => responsesFrames(ctx),
}

/** `POST /v1/responses`. */
export function responsesRoute(rt: RelayRuntime, options: GenerateOptions): RelayHandler {
  const generate = createGeneration(rt, responsesFormat)
  return (req) => generate(req, options)
}

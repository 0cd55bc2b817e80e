import { toTextCompletion, translateCompletionRequest } from '@airelays/translate'
import { createGeneration } from '../generation/pipeline'
import type { WireFormat } from '../generation/wire-format'
import type { RelayRuntime } from '../runtime'
import { completionsFrames } from '../streaming/chunk-frames'
import type { RelayHandler } from './handler'

/** The legacy Completions API on the Responses backend (it has no tools, so `/no-tools` changes nothing). */
export const completionsFormat: WireFormat = {
  translate: (body) => translateCompletionRequest(body),
  fileParts: 'responses',
  object: 'text_completion',
  toJson: (response, context) => toTextCompletion(response, context),
  frames: completionsFrames,
}

/** `POST /v1/completions`. */
export function completionsRoute(rt: RelayRuntime): RelayHandler {
  const generate = createGeneration(rt, completionsFormat)
  return (req) => generate(req, { noTools: false })
}

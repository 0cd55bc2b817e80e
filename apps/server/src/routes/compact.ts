import { normalizeResponsesRequest, type ResponsesObject } from '@airelays/translate'
import { createGeneration } from '../generation/pipeline'
import type { WireFormat } from '../generation/wire-format'
import type { RelayRuntime } from '../runtime'
import { responsesFrames } from '../streaming/responses-frames'
import type { RelayHandler } from './handler'

/**
 * `POST /v1/responses/compact`, the compaction endpoint older Codex builds (e.g. 0.147) still call
 * on a custom provider. The backend retired it (404 since Aug 2026); compaction is now an ordinary
 * `/responses` call whose input ends with `{"type": "compaction_trigger"}`. The relay makes that
 * call and answers in the old endpoint's shape: `{ output: [the compaction item] , … }`.
 */
export const compactFormat: WireFormat = {
  translate: (body, options) => {
    const input = Array.isArray(body.input)
      ? body.input
      : typeof body.input === 'string'
        ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] }]
        : []
    return normalizeResponsesRequest(
      { ...body, input: [...input, { type: 'compaction_trigger' }], stream: false },
      options,
    )
  },
  fileParts: 'responses',
  object: 'response.compaction',
  toJson: (response: ResponsesObject) => ({
    id: response.id,
    object: 'response.compaction',
    created_at: response.created_at,
    model: response.model,
    output: response.output,
    usage: response.usage ?? null,
  }),
  // never streamed: the translation forces `stream: false`
  frames: (_context, ctx) => responsesFrames(ctx),
}

/** `POST /v1/responses/compact`. */
export function compactRoute(rt: RelayRuntime): RelayHandler {
  const generate = createGeneration(rt, compactFormat)
  return (req) => generate(req, { noTools: false })
}

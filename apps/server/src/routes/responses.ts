import { normalizeResponsesRequest } from '@airelays/translate'
import { getRouterParam } from 'h3'
import { localRoutesDisabled, responseNotFound } from '../errors/factories'
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
  toJson: (response, context) =>
    context.previousResponseId ? { ...response, previous_response_id: context.previousResponseId } : response,
  frames: (context, ctx) => responsesFrames(ctx, context.previousResponseId),
}

/**
 * `GET` / `DELETE /v1/responses/{response_id}`: a response the relay kept (the backend keeps
 * none), or a 404 `response_not_found`.
 */
export function keptResponseRoutes(rt: RelayRuntime): { get: RelayHandler; remove: RelayHandler } {
  const idOf = (req: Parameters<RelayHandler>[0]): string => getRouterParam(req.event, 'response_id') ?? ''
  const requireOpenai = (): void => {
    if (!rt.settings.config.providers.openai.enabled) throw localRoutesDisabled()
  }
  return {
    async get(req) {
      requireOpenai()
      const id = idOf(req)
      const kept = await rt.responses.get(id)
      if (!kept) throw responseNotFound(id)
      return req.json(kept.response)
    },
    async remove(req) {
      requireOpenai()
      const id = idOf(req)
      if (!(await rt.responses.delete(id))) throw responseNotFound(id)
      return req.json({ id, object: 'response', deleted: true })
    },
  }
}

/** `POST /v1/responses`. */
export function responsesRoute(rt: RelayRuntime, options: GenerateOptions): RelayHandler {
  const generate = createGeneration(rt, responsesFormat)
  return (req) => generate(req, options)
}

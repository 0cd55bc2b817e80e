import { normalizeResponsesRequest, type ResponsesRequest } from '@airelays/translate'
import { translationRejected } from '../errors/factories'

/**
 * A conversation's seed items in the shape the backend takes (the same normalisation as a
 * `/v1/responses` input). Throws the 400 of items that are not valid Responses input items, so
 * `POST /v1/conversations` checks them with the same rules.
 */
export function seedInput(items: unknown[]): ResponsesRequest['input'] {
  const normalised = normalizeResponsesRequest({ model: 'seed', input: items })
  if (!normalised.ok) {
    throw translationRejected({
      status: 400,
      type: 'invalid_request_error',
      code: normalised.error.code,
      param: normalised.error.param === null ? 'items' : normalised.error.param.replace(/^input/, 'items'),
      message: `Conversation items are not valid Responses input items: ${normalised.error.message}`,
    })
  }
  return normalised.request.input
}

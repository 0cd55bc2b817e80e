import {
  classifyStatus,
  EMPTY_STREAM_MESSAGE,
  envelopeFor,
  incompleteEnvelope,
  isFailureEvent,
  responseOf,
  upstreamErrorOf,
} from './_internal/events'
import { isObject } from './_internal/util'
import { TranslateError } from './errors'
import type { ResponsesEvent, ResponsesObject, ResponsesOutputItem } from './types'

/**
 * Collects an upstream Responses event stream into the final Responses object (reference
 * "Upstream stream collection"):
 * - `response.completed` and `response.incomplete` are successes; an incomplete response comes
 *   back as an ordinary result (check `status`);
 * - when the terminal response's `output` is empty (or missing), it is rebuilt from the
 *   `response.output_item.done` items, ordered by `output_index`;
 * - a `response.failed` or `error` event throws a {@link TranslateError} `upstream_failed`
 *   carrying the upstream error object (`upstreamError`) and the reference status (429 quota,
 *   400 invalid request, else 502);
 * - a stream that ends without any response payload throws `upstream_empty` ("Upstream stream
 *   ended without a response payload."), one with a payload but no terminal event throws
 *   `incomplete_stream` ("Upstream stream ended before response.completed."), both 502.
 *
 * Errors thrown by the event source itself propagate unchanged. Consumption stops at the
 * terminal event (the source's `return()` is called).
 */
export async function aggregateResponse(
  events: AsyncIterable<ResponsesEvent> | Iterable<ResponsesEvent>,
): Promise<ResponsesObject> {
  let payload: ResponsesObject | null = null
  const done = new Map<number, ResponsesOutputItem>()
  let order = 0
  for await (const event of events) {
    if (!isObject(event)) continue
    if (isFailureEvent(event)) {
      const upstreamError = upstreamErrorOf(event)
      throw new TranslateError(
        'upstream_failed',
        classifyStatus(upstreamError),
        envelopeFor(upstreamError),
        upstreamError,
      )
    }
    const response = responseOf(event)
    if (response !== null) payload = response
    if (event.type === 'response.output_item.done' && isObject(event.item)) {
      const index = typeof event.output_index === 'number' ? event.output_index : 1_000_000 + order
      order += 1
      done.set(index, event.item as ResponsesOutputItem)
    } else if (
      (event.type === 'response.completed' || event.type === 'response.incomplete') &&
      response !== null
    ) {
      const output = Array.isArray(response.output) && response.output.length > 0 ? response.output : null
      return {
        ...response,
        output: output ?? [...done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item),
      }
    }
  }
  if (payload === null) {
    throw new TranslateError('upstream_empty', 502, {
      message: EMPTY_STREAM_MESSAGE,
      type: 'upstream_error',
      param: null,
      code: 'upstream_empty',
    })
  }
  throw new TranslateError('incomplete_stream', 502, incompleteEnvelope())
}

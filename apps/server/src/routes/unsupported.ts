import { readBodyBytes } from '../_internal/body'
import { stateOf } from '../_internal/context'
import { logInbound } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import { BodySnapshot, BodySummary } from '../_internal/traffic-log'
import { RelayError } from '../errors'
import type { RelayHandler } from './index'

/** `POST /v1/embeddings`, `/v1/images/{op}`, `/v1/audio/{op}`, `/v1/realtime/sessions`: always 501 (logged). */
export function unsupportedRoute(rt: RelayRuntime): RelayHandler {
  return async (event) => {
    const state = stateOf(event)
    if (state.logged) {
      let body: BodySnapshot | BodySummary
      try {
        const bytes = await readBodyBytes(event, rt.settings.maxJsonBodyBytes)
        body = new BodySnapshot(bytes, event.req.headers.get('content-type'))
      } catch {
        body = new BodySummary({ kind: 'not_read', reason: 'unreadable_or_too_large' })
      }
      logInbound(rt, event, state, body)
    }
    throw new RelayError({
      status: 501,
      type: 'unsupported_error',
      code: 'unsupported_route',
      message:
        'This subscription-backed server does not expose a verified upstream implementation for this route yet.',
    })
  }
}

import { unsupportedRoute as unsupported } from '../errors/factories'
import { BodySnapshot, BodySummary } from '../logging/traffic-log'
import type { RelayHandler } from './handler'

/** `POST /v1/embeddings`, `/v1/images/{op}`, `/v1/audio/{op}`, `/v1/realtime/sessions`: always 501 (logged). */
export function unsupportedRoute(): RelayHandler {
  return async (req) => {
    if (req.logged) {
      let body: BodySnapshot | BodySummary
      try {
        const bytes = await req.readBytes()
        body = new BodySnapshot(bytes, req.event.req.headers.get('content-type'))
      } catch {
        body = new BodySummary({ kind: 'not_read', reason: 'unreadable_or_too_large' })
      }
      req.logInbound(body)
    }
    throw unsupported()
  }
}

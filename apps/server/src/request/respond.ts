import { FastResponse } from 'srvx'
import { speaksAnthropic, toAnthropicErrorResult } from '../errors/anthropic'
import type { RelayError } from '../errors/relay-error'
import { INTERNAL_ERROR_MESSAGE } from '../errors/to-relay-error'
import { BodySnapshot } from '../logging/traffic-log'
import type { RelayRuntime } from '../runtime'
import type { RelayRequest } from './relay-request'

const JSON_TYPE = 'application/json'

/**
 * The envelope response of `error` and the snapshot logged as its body. An unexpected failure is
 * reported with its detail (log and logger only; the client sees the generic message).
 */
export function errorResponse(
  rt: RelayRuntime,
  req: RelayRequest,
  error: RelayError,
): { response: Response; snapshot: BodySnapshot } {
  if (error.status >= 500 && error.message === INTERNAL_ERROR_MESSAGE) reportUnexpected(rt, req, error)
  if (speaksAnthropic(req.path, req.event.req.headers)) {
    const anthropic = toAnthropicErrorResult(error, req.id)
    const text = rt.secrets.scrub(JSON.stringify(anthropic.body))
    return {
      response: new FastResponse(text, {
        status: anthropic.status,
        headers: { 'content-type': JSON_TYPE, ...anthropic.headers },
      }),
      snapshot: new BodySnapshot(text, JSON_TYPE, anthropic.body),
    }
  }
  const body = error.toJSON()
  // Upstream error messages can quote a token: scrub every known secret from what the client sees.
  const text = rt.secrets.scrub(JSON.stringify(body))
  return {
    response: new FastResponse(text, {
      status: error.status,
      headers: { 'content-type': JSON_TYPE, ...error.headers },
    }),
    snapshot: new BodySnapshot(text, JSON_TYPE, body),
  }
}

function reportUnexpected(rt: RelayRuntime, req: RelayRequest, error: RelayError): void {
  const cause = error.cause
  const detail = cause instanceof Error ? cause.message : String(cause)
  const stack = cause instanceof Error ? cause.stack : undefined
  rt.log.write(req.id, 'relay_error', { method: req.method, path: req.path, error: detail, stack })
  rt.logger.error(
    rt.secrets.scrub(`AIRelays: unexpected error on ${req.method} ${req.path} (${req.id}): ${detail}`),
  )
}

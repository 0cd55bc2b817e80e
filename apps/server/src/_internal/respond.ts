import type { H3Event } from 'h3'
import { INTERNAL_ERROR_MESSAGE, RelayError, toRelayError } from '../errors'
import { parseJsonObject, readBodyBytes } from './body'
import type { RequestState } from './context'
import type { RelayRuntime } from './runtime'
import { BodySnapshot, BodySummary } from './traffic-log'
import { redactQuery } from './redact'

const JSON_TYPE = 'application/json'

/** 501 on the local-state routes (files, conversations) when the OpenAI runtime is disabled. */
export function requireOpenai(rt: RelayRuntime): void {
  if (!rt.settings.config.providers.openai.enabled) {
    throw new RelayError({
      status: 501,
      type: 'unsupported_error',
      code: 'provider_disabled',
      message: 'This route is currently available only when the OpenAI runtime is enabled.',
    })
  }
}

/** A JSON response whose body is remembered for the `outbound_response` log record. */
export function jsonResponse(
  state: RequestState,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const text = JSON.stringify(body)
  state.outboundBody = new BodySnapshot(text, JSON_TYPE, body)
  return new Response(text, {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
  })
}

/** The envelope response of `error`; unexpected errors are reported with their detail (log only). */
export function errorResponse(rt: RelayRuntime, state: RequestState, error: unknown): Response {
  const relayError = toRelayError(error)
  if (relayError.status >= 500 && relayError.message === INTERNAL_ERROR_MESSAGE)
    reportUnexpected(rt, state, relayError)
  const body = relayError.toJSON()
  // Upstream error messages can quote a token: scrub every known secret from what the client sees.
  const text = rt.secrets.scrub(JSON.stringify(body))
  state.outboundBody = new BodySnapshot(text, JSON_TYPE, body)
  return new Response(text, {
    status: relayError.status,
    headers: { 'content-type': JSON_TYPE, ...relayError.headers },
  })
}

function reportUnexpected(rt: RelayRuntime, state: RequestState, error: RelayError): void {
  const cause = error.cause
  const detail = cause instanceof Error ? cause.message : String(cause)
  const stack = cause instanceof Error ? cause.stack : undefined
  rt.log.write(state.id, 'relay_error', { method: state.method, path: state.path, error: detail, stack })
  rt.logger.error(
    rt.secrets.scrub(`AIRelays: unexpected error on ${state.method} ${state.path} (${state.id}): ${detail}`),
  )
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, key) => {
    out[key] = value
  })
  return out
}

function queryRecord(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [key, value] of url.searchParams) {
    const prev = out[key]
    if (prev === undefined) out[key] = value
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value]
  }
  return out
}

/** Write the `inbound_request` record once (and count the request). */
export function logInbound(
  rt: RelayRuntime,
  event: H3Event,
  state: RequestState,
  body: BodySnapshot | BodySummary | null,
  extra: Record<string, unknown> = {},
): void {
  if (!state.logged || state.inboundLogged) return
  state.inboundLogged = true
  rt.requestsTotal++
  // Built when the log is written, not before the upstream call: the request's headers and URL
  // do not change once received.
  const { headers } = event.req
  const url = event.url
  const path = state.basePath + state.path
  rt.log.write(state.id, 'inbound_request', () => ({
    method: state.method,
    path,
    query: redactQuery(queryRecord(url), rt.secrets),
    headers: headerRecord(headers),
    client_ip: state.clientIp,
    body: body ?? new BodySnapshot(null, null),
    ...extra,
  }))
}

/**
 * Read the request body as a JSON object (size-limited), logging the inbound record with the body
 * snapshot. Invalid JSON gives 400 "Request body must be valid JSON."; anything but an object
 * gives 400 "Request body must be a JSON object.".
 */
export async function readJsonBody(
  rt: RelayRuntime,
  event: H3Event,
  state: RequestState,
  options: { emptyAsObject: boolean },
): Promise<Record<string, unknown>> {
  let bytes: Uint8Array
  try {
    bytes = await readBodyBytes(event, rt.settings.maxJsonBodyBytes)
  } catch (error) {
    const relayError: RelayError = toRelayError(error)
    if (relayError.status === 413) {
      logInbound(
        rt,
        event,
        state,
        new BodySummary({ kind: 'not_read', reason: 'too_large', limit: rt.settings.maxJsonBodyBytes }),
      )
    }
    throw relayError
  }
  const parsed = parseJsonObject(bytes, options.emptyAsObject)
  logInbound(
    rt,
    event,
    state,
    new BodySnapshot(bytes, event.req.headers.get('content-type'), parsed.ok ? parsed.value : undefined),
  )
  if (!parsed.ok) throw parsed.error
  return parsed.value
}

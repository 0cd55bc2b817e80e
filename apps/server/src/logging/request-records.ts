import { redactQuery, type SecretSet } from './redact'
import { BodySnapshot, type BodySummary } from './traffic-log'

/** What the records of a request need to know about it. */
export interface LoggedRequest {
  readonly method: string
  readonly fullPath: string
  readonly clientIp: string
  readonly event: { readonly req: { readonly headers: Headers }; readonly url: URL }
}

/** The fields of a `Headers` object as a plain record (the log redacts the secret ones). */
export function headerRecord(headers: Headers): Record<string, string> {
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

/**
 * The fields of the `inbound_request` record, built when the log is written rather than on the
 * request path: the request's headers and URL do not change once received.
 */
export function inboundFields(
  req: LoggedRequest,
  body: BodySnapshot | BodySummary | null,
  secrets: SecretSet,
): () => Record<string, unknown> {
  const { headers } = req.event.req
  const url = req.event.url
  const path = req.fullPath
  return () => ({
    method: req.method,
    path,
    query: redactQuery(queryRecord(url), secrets),
    headers: headerRecord(headers),
    client_ip: req.clientIp,
    body: body ?? new BodySnapshot(null, null),
  })
}

/** What a request will log as its answer: the body the relay serialised, and extra fields. */
export interface OutboundState {
  body: BodySnapshot | undefined
  fields: Record<string, unknown>
}

/** How a logged request ended, for {@link writeEndRecords}. */
export interface EndedRequest {
  status: number
  outcome: string
  durationMs: number
  /** The `inbound_request` record was written (no `outbound_response` without it). */
  inboundLogged: boolean
  outbound: OutboundState
}

/** The records of a request's end: `client_disconnected` when it was cut, then `outbound_response`. */
export function writeEndRecords(
  log: { write(requestId: string, phase: string, fields: Record<string, unknown>): void },
  req: LoggedRequest & { readonly id: string },
  end: EndedRequest,
): void {
  if (end.outcome === 'client_disconnected' || end.status === 499) {
    log.write(req.id, 'client_disconnected', {
      method: req.method,
      path: req.fullPath,
      duration_ms: end.durationMs,
    })
  }
  if (!end.inboundLogged) return
  log.write(req.id, 'outbound_response', {
    status_code: end.status,
    duration_ms: end.durationMs,
    ...(end.outcome === 'completed' ? {} : { outcome: end.outcome }),
    ...end.outbound.fields,
    ...(end.outbound.body === undefined ? {} : { body: end.outbound.body }),
  })
}

import type { H3Event } from 'h3'
import { RelayError } from '../errors'
import type { BodySnapshot } from './traffic-log'

/** Per-request bookkeeping of the relay, kept in `event.context.airelays`. */
export interface RequestState {
  /** `x-request-id` of this request. */
  readonly id: string
  /** Epoch ms when the relay saw the request. */
  readonly startedAt: number
  readonly method: string
  /** Path relative to the relay app (the mount prefix stripped). */
  readonly path: string
  /** The mount prefix (`''` when standalone). */
  readonly basePath: string
  /** Client address used for limits and logs. */
  readonly clientIp: string
  /** False for monitoring paths: no log record and not counted. */
  readonly logged: boolean
  /** Aborted when the client disconnects or the relay shuts down; every upstream call uses it. */
  readonly abort: AbortController
  /** The inbound record was written. */
  inboundLogged: boolean
  /** A streaming body owns the end of the request (finish happens when the stream ends). */
  deferred: boolean
  /** The request was finished (slot released, outbound logged). */
  finished: boolean
  /** Frees the concurrency slot; null outside /v1 or after release. */
  release: (() => void) | null
  /** The security gate let the request through (or it is outside /v1). */
  admitted: boolean
  /** Never write the inbound record (rejected uploads are not logged). */
  skipInbound: boolean
  /** Body logged as `outbound_response.body` (what the relay serialised, and the object it came from). */
  outboundBody: BodySnapshot | undefined
  /** Extra fields of the `outbound_response` record (id, object, model, usage …). */
  outboundExtra: Record<string, unknown>
  /** Headers added to the response whatever it is (e.g. `x-airelays-ignored-parameters`). */
  readonly headers: Record<string, string>
}

const kState = 'airelays'

export function setState(event: H3Event, state: RequestState): void {
  ;(event.context as Record<string, unknown>)[kState] = state
}

/** The relay state of `event`; throws when the relay core middleware did not run. */
export function stateOf(event: H3Event): RequestState {
  const state = (event.context as Record<string, unknown>)[kState] as RequestState | undefined
  if (!state) throw new Error('AIRelays request state missing: the relay core middleware did not run.')
  return state
}

/** Error raised on requests aborted because the relay is shutting down. */
export function shuttingDownError(): RelayError {
  return new RelayError({
    status: 503,
    type: 'server_error',
    code: 'server_shutting_down',
    message: 'The AIRelays server is shutting down; retry the request.',
    headers: { 'retry-after': '1' },
  })
}

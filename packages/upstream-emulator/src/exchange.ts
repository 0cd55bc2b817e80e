import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ReadBody } from './_internal/http'
import type { EmulatorState } from './state'
import type { RecordedRequest } from './types'

/** One request on its way through a route handler. */
export interface Exchange {
  readonly state: EmulatorState
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The request's record (handlers set `behaviour` and `outcome` on it). */
  readonly record: RecordedRequest
  /** Path without the query string. */
  readonly path: string
  readonly search: URLSearchParams
  /** The request body (empty for GET/HEAD). */
  readonly body: ReadBody
}

/** A route handler: answers the exchange. */
export type RouteHandler = (exchange: Exchange) => Promise<void> | void

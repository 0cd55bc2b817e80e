import type { RelayRequest } from '../request/relay-request'

/**
 * A route handler of the relay: it gets the request object (id, client IP, body, outcome) that
 * the relay core opened, and answers with a `Response` or throws; the core turns what it throws
 * into the error envelope. Route files export factories that close over the runtime once.
 */
export type RelayHandler = (req: RelayRequest) => Promise<Response> | Response

// The shapes the traffic feed sends to the dashboard. They have one owner, this file, which the
// server (`traffic-feed.ts`) and the browser client (`client/model.ts`) both import; it imports
// nothing, so the client's type check does not pull in the server.

/** One finished request as the dashboard lists it (no body, no header, nothing secret). */
export interface TrafficEntry {
  request_id: string
  /** ISO-8601 UTC of the `inbound_request` record. */
  started_at: string
  /** ISO-8601 UTC of the `outbound_response` record. */
  finished_at: string
  method: string
  /** The path as the client sent it (mount prefix included, no query). */
  route: string
  model: string | null
  /** The account that served it, when the relay knows several (null with one login). */
  account: string | null
  stream: boolean
  status: number
  outcome: string
  duration_ms: number | null
  tokens_in: number | null
  tokens_out: number | null
  cached_tokens: number | null
  /** Whether the redacted log records of this request are kept for {@link TrafficFeed.detail}. */
  has_detail: boolean
}

/** Requests, errors and tokens of one UTC minute. */
export interface TrafficMinute {
  /** Epoch ms of the minute's start. */
  minute: number
  requests: number
  errors: number
  tokens_in: number
  tokens_out: number
}

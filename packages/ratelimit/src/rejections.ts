/** `code` of a limiter rejection, as sent in the error envelope. */
export type RateLimitRejectionCode =
  | 'ip_temporarily_blocked'
  | 'too_many_concurrent_requests'
  | 'rate_limit_exceeded'

/** Why a request was rejected, as logged in the reference's `endpoint_rejected` record. */
export type RateLimitRejectionReason = 'auth_block_active' | 'concurrency_limit' | 'request_rate_limit'

/**
 * A request refused by the limiter, ready for the wire: answer with HTTP `status`, the header
 * `Retry-After: <retryAfterSeconds>` and the body
 * `{"error":{"message":message,"type":type,"param":null,"code":code}}`.
 */
export interface RateLimitRejection {
  /** Always 429. */
  readonly status: 429
  /** Always `"rate_limit_error"`. */
  readonly type: 'rate_limit_error'
  readonly code: RateLimitRejectionCode
  /** The reference's exact user-facing message. */
  readonly message: string
  /** For the `endpoint_rejected` log record. */
  readonly reason: RateLimitRejectionReason
  /** Whole seconds, at least 1: the `Retry-After` value. */
  readonly retryAfterSeconds: number
}

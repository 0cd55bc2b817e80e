import type { RateLimitRejection } from '../rejections'

export const BLOCKED_MESSAGE = 'Too many invalid authentication attempts from this IP.'
export const CONCURRENCY_MESSAGE = 'Too many concurrent requests from this IP.'
export const RATE_MESSAGE = 'Request rate limit exceeded for this IP.'

export function blockedRejection(retryAfterSeconds: number): RateLimitRejection {
  return {
    status: 429,
    type: 'rate_limit_error',
    code: 'ip_temporarily_blocked',
    message: BLOCKED_MESSAGE,
    reason: 'auth_block_active',
    retryAfterSeconds,
  }
}

/** Shared frozen instance: concurrency rejections always say Retry-After 1. */
export const CONCURRENCY_REJECTION: RateLimitRejection = Object.freeze({
  status: 429,
  type: 'rate_limit_error',
  code: 'too_many_concurrent_requests',
  message: CONCURRENCY_MESSAGE,
  reason: 'concurrency_limit',
  retryAfterSeconds: 1,
})

/** Shared frozen instance for the common Retry-After 1 case. */
export const RATE_REJECTION_1S: RateLimitRejection = Object.freeze({
  status: 429,
  type: 'rate_limit_error',
  code: 'rate_limit_exceeded',
  message: RATE_MESSAGE,
  reason: 'request_rate_limit',
  retryAfterSeconds: 1,
})

export function rateRejection(retryAfterSeconds: number): RateLimitRejection {
  if (retryAfterSeconds === 1) return RATE_REJECTION_1S
  return {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    message: RATE_MESSAGE,
    reason: 'request_rate_limit',
    retryAfterSeconds,
  }
}

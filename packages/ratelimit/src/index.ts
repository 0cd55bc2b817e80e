// Public API of @airelays/ratelimit.

// Limiter
export { createRateLimiter } from './limiter'
export type {
  AcquireResult,
  AdmitOptions,
  Admission,
  BlockStatus,
  FailureResult,
  RateLimiter,
  RateLimiterOptions,
  RateLimiterSettings,
  RateLimitClientSnapshot,
  RateLimitSnapshot,
  TakeResult,
} from './types'

// Rejections (the 429 answers)
export type { RateLimitRejection, RateLimitRejectionCode, RateLimitRejectionReason } from './rejections'

// Client addresses
export { isLoopback, isLoopbackHost } from './loopback'

// State stores
export { createMemoryStore } from './store'
export type { RateLimitClientState, RateLimitStore } from './store'

// Errors
export { isRateLimiterError, RateLimiterError } from './errors'
export type { RateLimiterErrorCode } from './errors'

/** Brand shared by every copy of this package (Symbol.for), checked by isRateLimiterError. */
const kRateLimiterError: symbol = Symbol.for('@airelays/ratelimit/error')

/** Stable codes carried by {@link RateLimiterError}. Match on these, never on message text. */
export type RateLimiterErrorCode = 'ratelimit_invalid_option'

/**
 * The one error class of `@airelays/ratelimit`. It is thrown only by {@link createRateLimiter} and
 * {@link createMemoryStore} for invalid options, never on the request path (`admit`, `take`,
 * `acquire`, `release`, `recordFailure`, ... do not throw).
 *
 * It extends `RangeError`; use {@link isRateLimiterError} rather than `instanceof` to recognise it
 * across duplicated package copies.
 */
export class RateLimiterError extends RangeError {
  /** Stable machine-readable code. */
  readonly code: RateLimiterErrorCode
  /** Name of the offending option, e.g. `"burst"`, or `"options"` for the whole object. */
  readonly option: string
  override readonly name: string = 'RateLimiterError'

  constructor(code: RateLimiterErrorCode, option: string, message: string) {
    super(message)
    this.code = code
    this.option = option
    Object.defineProperty(this, kRateLimiterError, { value: true })
  }
}

/** True when `error` is a {@link RateLimiterError} from any copy of this package. */
export function isRateLimiterError(error: unknown): error is RateLimiterError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[kRateLimiterError] === true
  )
}

// The upstream's error vocabulary: which `code` / `type` values of a Responses API error object
// mean what. @airelays/upstream-client classifies its errors with these same sets.

/**
 * Upstream error `code` or `type` values meaning the subscription's quota or rate limit is
 * exhausted: the relay answers 429.
 */
export const UPSTREAM_QUOTA_CODES: ReadonlySet<string> = new Set([
  'usage_limit_reached',
  'rate_limit_reached',
  'rate_limit_exceeded',
  'insufficient_quota',
])

/**
 * The {@link UPSTREAM_QUOTA_CODES} that mean the usage limit of the subscription window (the rest
 * are short-term rate limits).
 */
export const UPSTREAM_USAGE_LIMIT_CODES: ReadonlySet<string> = new Set([
  'usage_limit_reached',
  'insufficient_quota',
])

/** Upstream error codes that blame the request itself: the relay answers 400 and passes them on. */
export const UPSTREAM_CLIENT_CODES: ReadonlySet<string> = new Set([
  'context_length_exceeded',
  'invalid_prompt',
  'invalid_value',
  'unsupported_value',
  'unsupported_parameter',
  'unknown_parameter',
  'string_above_max_length',
])

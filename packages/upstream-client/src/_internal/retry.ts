import type { UpstreamError } from '../errors'

/** Resolved retry settings. */
export interface RetryPolicy {
  /** Retries after the first call. */
  attempts: number
  /** Delay before retry n (0-based) is `backoffSeconds[n]`; the last entry repeats. */
  backoffSeconds: readonly number[]
  /** Relative jitter, e.g. 0.2 = ±20 %. */
  jitter: number
}

/** Base delay (seconds, before jitter) of retry number `index` (0-based). */
export function scheduleDelay(policy: RetryPolicy, index: number): number {
  const list = policy.backoffSeconds
  if (list.length === 0) return 0
  return list[Math.min(index, list.length - 1)] ?? 0
}

/** Total base sleep still budgeted when about to make retry `index` (0-based). */
export function remainingBudget(policy: RetryPolicy, index: number): number {
  let total = 0
  for (let i = index; i < policy.attempts; i++) total += scheduleDelay(policy, i)
  return total
}

/** Apply ±jitter with a [0, 1) random source. */
export function withJitter(seconds: number, jitter: number, random: () => number): number {
  if (seconds <= 0 || jitter <= 0) return seconds
  const factor = 1 + (random() * 2 - 1) * jitter
  return Math.max(0, seconds * factor)
}

/**
 * Whether a failure before the first content event may be retried: never for a client abort,
 * client errors or auth errors; 429, >= 500, transport failures, timeouts and pre-content
 * stream failures are.
 */
export function isRetriable(error: UpstreamError): boolean {
  if (error.code === 'aborted') return false
  if (error.kind === 'client' || error.kind === 'auth') return false
  switch (error.code) {
    case 'timeout':
    case 'upstream_unavailable':
    case 'stream_failed':
    case 'stream_incomplete':
    case 'refresh_failed':
      return true
    case 'usage_limit':
    case 'rate_limited':
    case 'upstream_http_error': {
      const status = error.upstreamStatus
      return status === null || status === 429 || status >= 500
    }
    default:
      return false
  }
}

/** Validate and normalise user retry options. */
export function resolveRetryPolicy(
  input: { attempts?: number; backoffSeconds?: readonly number[]; jitter?: number } | undefined,
  defaults: { attempts: number; backoffSeconds: readonly number[] },
): RetryPolicy {
  const attempts = input?.attempts ?? defaults.attempts
  if (!Number.isInteger(attempts) || attempts < 0) {
    throw new RangeError(`retry.attempts must be a non-negative integer, got ${String(attempts)}`)
  }
  const backoffSeconds = input?.backoffSeconds ?? defaults.backoffSeconds
  if (
    !Array.isArray(backoffSeconds) ||
    backoffSeconds.some((s) => typeof s !== 'number' || !Number.isFinite(s) || s < 0)
  ) {
    throw new RangeError('retry.backoffSeconds must be a list of finite, non-negative numbers')
  }
  const jitter = input?.jitter ?? 0.2
  if (!Number.isFinite(jitter) || jitter < 0 || jitter >= 1) {
    throw new RangeError(`retry.jitter must be in [0, 1), got ${String(jitter)}`)
  }
  return { attempts, backoffSeconds: [...backoffSeconds], jitter }
}

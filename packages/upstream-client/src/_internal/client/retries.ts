// The retry loop for failures before the first content event: the schedule, the budget rules that
// skip a retry (quota reset or Retry-After beyond the remaining backoff) and the retry hooks.
import { UpstreamError, isUpstreamError } from '../../errors'
import { abortedError } from '../http'
import { isRetriable, remainingBudget, scheduleDelay, withJitter } from '../retry'
import { type ClientContext, callHook } from './context'

/** The call being retried. */
export interface RetriedCall {
  signal: AbortSignal | undefined
  /** The caller's request id, passed to the hooks. */
  requestId: string | null
}

type SkipReason = 'quota_resets_beyond_backoff' | 'retry_after_beyond_backoff' | 'client_disconnected'

/** One failed attempt about to be retried (or not). */
interface FailedAttempt {
  /** 0-based index of the retry that would follow. */
  retry: number
  error: UpstreamError
  call: RetriedCall
}

/** Run `op`, retrying per the client's policy while failures stay retriable. */
export async function withRetries<T>(
  ctx: ClientContext,
  op: () => Promise<T>,
  call: RetriedCall,
): Promise<T> {
  const { signal } = call
  for (let retry = 0; ; retry++) {
    if (signal?.aborted) throw abortedError(signal.reason)
    let error: UpstreamError
    try {
      return await op()
    } catch (raw) {
      if (signal?.aborted) throw abortedError(signal.reason)
      error = isUpstreamError(raw)
        ? raw
        : new UpstreamError({ code: 'upstream_unavailable', message: 'Upstream call failed.', cause: raw })
    }
    const failed: FailedAttempt = { retry, error, call }
    const delaySeconds = planRetry(ctx, failed)
    await sleepBeforeRetry(ctx, failed, delaySeconds)
  }
}

function reportSkip(ctx: ClientContext, failed: FailedAttempt, reason: SkipReason): void {
  callHook(ctx.hooks.onRetrySkipped, {
    reason,
    attempt: failed.retry + 1,
    status: failed.error.upstreamStatus,
    resetsInSeconds: failed.error.resetsInSeconds ?? null,
    requestId: failed.call.requestId,
  })
}

/** The delay before the next attempt, in seconds; throws the failure when it is not retried. */
function planRetry(ctx: ClientContext, failed: FailedAttempt): number {
  const policy = ctx.settings.retry
  const { retry, error } = failed
  if (!isRetriable(error) || retry >= policy.attempts) throw error
  const budget = remainingBudget(policy, retry)
  if (error.resetsInSeconds !== undefined && error.resetsInSeconds > budget) {
    reportSkip(ctx, failed, 'quota_resets_beyond_backoff')
    throw error
  }
  if (error.retryAfterSeconds !== undefined && error.retryAfterSeconds > budget) {
    reportSkip(ctx, failed, 'retry_after_beyond_backoff')
    throw error
  }
  const delaySeconds = Math.max(
    withJitter(scheduleDelay(policy, retry), policy.jitter, ctx.random),
    error.retryAfterSeconds ?? 0,
  )
  callHook(ctx.hooks.onRetry, {
    attempt: retry + 1,
    maxAttempts: policy.attempts,
    delaySeconds,
    status: error.upstreamStatus,
    reason: error.message.slice(0, 500),
    requestId: failed.call.requestId,
  })
  return delaySeconds
}

/** Sleep out the delay; a caller abort during it ends the call as `aborted`. */
async function sleepBeforeRetry(
  ctx: ClientContext,
  failed: FailedAttempt,
  delaySeconds: number,
): Promise<void> {
  const { signal } = failed.call
  try {
    await ctx.sleep(delaySeconds * 1000, signal)
  } catch (sleepError) {
    if (signal?.aborted) {
      reportSkip(ctx, failed, 'client_disconnected')
      throw abortedError(signal.reason)
    }
    throw sleepError
  }
  if (signal?.aborted) {
    reportSkip(ctx, failed, 'client_disconnected')
    throw abortedError(signal.reason)
  }
}

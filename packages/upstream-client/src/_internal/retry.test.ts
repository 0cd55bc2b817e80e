import { describe, expect, it } from 'vitest'
import { UpstreamError } from '../errors'
import { isRetriable, remainingBudget, resolveRetryPolicy, scheduleDelay, withJitter } from './retry'

const defaults = { attempts: 3, backoffSeconds: [5, 20, 60] }

describe('retry schedule', () => {
  it('repeats the last delay when the list is shorter than the attempts', () => {
    const policy = resolveRetryPolicy({ attempts: 5, backoffSeconds: [1, 2] }, defaults)
    expect([0, 1, 2, 3, 4].map((i) => scheduleDelay(policy, i))).toEqual([1, 2, 2, 2, 2])
    expect(remainingBudget(policy, 0)).toBe(9)
    expect(remainingBudget(policy, 3)).toBe(4)
    expect(remainingBudget(policy, 5)).toBe(0)
  })

  it('defaults to 3 attempts of 5/20/60 s with ±20 % jitter', () => {
    const policy = resolveRetryPolicy(undefined, defaults)
    expect(policy).toEqual({ attempts: 3, backoffSeconds: [5, 20, 60], jitter: 0.2 })
    expect(remainingBudget(policy, 0)).toBe(85)
    expect(withJitter(10, 0.2, () => 0)).toBeCloseTo(8)
    expect(withJitter(10, 0.2, () => 0.999999)).toBeCloseTo(12)
    expect(withJitter(10, 0.2, () => 0.5)).toBe(10)
  })

  it('rejects invalid settings with a clear error', () => {
    expect(() => resolveRetryPolicy({ attempts: -1 }, defaults)).toThrow(/attempts/)
    expect(() => resolveRetryPolicy({ backoffSeconds: [1, Number.NaN] }, defaults)).toThrow(/backoffSeconds/)
    expect(() => resolveRetryPolicy({ jitter: 2 }, defaults)).toThrow(/jitter/)
  })
})

describe('isRetriable', () => {
  it.each([
    [{ code: 'upstream_http_error', upstreamStatus: 500 }, true],
    [{ code: 'upstream_http_error', upstreamStatus: 403 }, false],
    [{ code: 'usage_limit', upstreamStatus: 429 }, true],
    [{ code: 'stream_failed' }, true],
    [{ code: 'stream_incomplete' }, true],
    [{ code: 'timeout' }, true],
    [{ code: 'upstream_unavailable' }, true],
    [{ code: 'refresh_failed', kind: 'transient' }, true],
    [{ code: 'refresh_failed', kind: 'auth' }, false],
    [{ code: 'bad_request', upstreamStatus: 400 }, false],
    [{ code: 'auth_rejected', upstreamStatus: 401 }, false],
    [{ code: 'aborted' }, false],
  ] as const)('%j → %s', (init, expected) => {
    expect(isRetriable(new UpstreamError({ message: 'x', ...init }))).toBe(expected)
  })
})

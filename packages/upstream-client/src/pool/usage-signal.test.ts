import { describe, expect, it } from 'vitest'
import { usageSignalFromHeaders, usageSignalFromSnapshot } from './usage-signal'

const window = (
  used_percent: number | null,
  window_seconds: number | null,
  reset_after_seconds?: number,
) => ({
  used_percent,
  window_seconds,
  ...(reset_after_seconds === undefined ? {} : { reset_after_seconds }),
})

describe('usageSignalFromSnapshot', () => {
  it('ranks by the longest window (Plus: 5 h + weekly)', () => {
    const signal = usageSignalFromSnapshot({
      rate_limits: {
        default: {
          allowed: true,
          limit_reached: false,
          primary_window: window(81.6, 18_000, 100),
          secondary_window: window(34.9, 604_800, 9000),
        },
      },
    })
    expect(signal).toEqual({
      usedPercent: 34,
      windowSeconds: 604_800,
      exhausted: false,
      resetsInSeconds: null,
    })
  })

  it('reads an Enterprise payload whose only window is weekly, in either slot', () => {
    const primaryOnly = usageSignalFromSnapshot({
      rate_limits: { default: { primary_window: window(7, 604_800), secondary_window: null } },
    })
    expect(primaryOnly.usedPercent).toBe(7)
    expect(primaryOnly.windowSeconds).toBe(604_800)
  })

  it('has no percentage for a windowless payload', () => {
    expect(usageSignalFromSnapshot({ rate_limits: { default: { allowed: true } } }).usedPercent).toBeNull()
    expect(usageSignalFromSnapshot({}).usedPercent).toBeNull()
  })

  it('is exhausted by any flag or a spent window, resetting with the longest spent window', () => {
    const spent = usageSignalFromSnapshot({
      rate_limits: {
        default: { primary_window: window(100, 18_000, 600), secondary_window: window(100, 604_800, 86_400) },
      },
    })
    expect(spent).toMatchObject({ exhausted: true, resetsInSeconds: 86_400 })
    const oneSpent = usageSignalFromSnapshot({
      rate_limits: {
        default: { primary_window: window(100, 18_000, 600), secondary_window: window(40, 604_800, 86_400) },
      },
    })
    expect(oneSpent).toMatchObject({ exhausted: true, resetsInSeconds: 600, usedPercent: 40 })
    for (const flags of [{ allowed: false }, { limit_reached: true }]) {
      expect(usageSignalFromSnapshot({ rate_limits: { default: flags } })).toMatchObject({
        exhausted: true,
        resetsInSeconds: null,
      })
    }
    expect(
      usageSignalFromSnapshot({ rate_limit_reached_type: 'five_hour', rate_limits: { default: null } })
        .exhausted,
    ).toBe(true)
  })
})

describe('usageSignalFromHeaders', () => {
  it('reads the x-codex-* headers', () => {
    expect(
      usageSignalFromHeaders({
        'x-codex-primary-used-percent': '12',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-after-seconds': '7200',
        'x-codex-secondary-used-percent': '34',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-after-seconds': '259200',
      }),
    ).toEqual({ usedPercent: 34, windowSeconds: 604_800, exhausted: false, resetsInSeconds: null })
    expect(usageSignalFromHeaders({ 'content-type': 'text/event-stream' })).toBeNull()
  })
})

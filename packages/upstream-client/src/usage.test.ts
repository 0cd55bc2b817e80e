import { describe, expect, it } from 'vitest'
import { normalizeUsage, windowLabel } from './usage'

describe('windowLabel', () => {
  it.each([
    [604800, 'weekly'],
    [172800, '2d'],
    [18000, '5h'],
    [1800, '30m'],
    [90, '90s'],
    [0, null],
    [null, null],
  ])('%s → %s', (seconds, label) => {
    expect(windowLabel(seconds)).toBe(label)
  })
})

describe('normalizeUsage', () => {
  const now = Date.UTC(2026, 10, 24, 3, 30, 0)
  const nowS = now / 1000

  it('classifies windows by limit_window_seconds even when the slots are swapped', () => {
    const snapshot = normalizeUsage(
      {
        plan_type: 'plus',
        email: 'dev@example.com',
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: {
            used_percent: 40,
            limit_window_seconds: 604800,
            reset_after_seconds: 1000,
            reset_at: nowS + 1000,
          },
          secondary_window: { used_percent: 12.345, limit_window_seconds: 18000, reset_at: nowS + 60 },
        },
      },
      now,
      '/backend-api/wham/usage',
    )
    expect(snapshot.windows.weekly?.used_percent).toBe(40)
    expect(snapshot.windows.weekly?.window_label).toBe('weekly')
    expect(snapshot.windows.five_hour).toMatchObject({
      used_percent: 12.345,
      remaining_percent: 87.66,
      window_seconds: 18000,
      window_minutes: 300,
      window_label: '5h',
      reset_after_seconds: 60,
      resets_in_seconds: 60,
      reset_at: nowS + 60,
      reset_at_iso: new Date((nowS + 60) * 1000).toISOString(),
    })
    expect(snapshot.source).toEqual({
      kind: 'chatgpt_subscription',
      upstream_path: '/backend-api/wham/usage',
    })
    expect(snapshot.account.plan_type).toBe('plus')
    expect(snapshot.captured_at).toBe(new Date(now).toISOString())
    expect(snapshot.raw.plan_type).toBe('plus')
  })

  it('uses resets_in_seconds when reset_after_seconds is absent, and rejects booleans and malformed fields', () => {
    const snapshot = normalizeUsage(
      {
        rate_limit: {
          allowed: 'yes',
          limit_reached: true,
          primary_window: { used_percent: true, limit_window_seconds: 18000, resets_in_seconds: 30 },
          secondary_window: 'oops',
        },
        credits: { has_credits: 1, unlimited: false, balance: '12.5' },
      },
      now,
      '/backend-api/codex/usage',
    )
    expect(snapshot.rate_limits.default).toMatchObject({
      allowed: null,
      limit_reached: true,
      secondary_window: null,
    })
    expect(snapshot.rate_limits.default?.primary_window).toMatchObject({
      used_percent: null,
      remaining_percent: null,
      reset_after_seconds: 30,
      reset_at: nowS + 30,
    })
    expect(snapshot.credits).toMatchObject({ has_credits: null, unlimited: false, balance: '12.5' })
  })

  it('keeps absent slots as null', () => {
    const snapshot = normalizeUsage({ rate_limit: null }, now, '/x')
    expect(snapshot.rate_limits.default).toBeNull()
    expect(snapshot.windows).toEqual({ five_hour: null, weekly: null })
    expect(snapshot.credits).toBeNull()
    expect(snapshot.rate_limits.additional).toEqual([])
  })
})

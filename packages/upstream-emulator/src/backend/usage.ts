import type { OutgoingHttpHeaders } from 'node:http'
import { sendJson } from '../_internal/http'
import { nowSeconds } from '../_internal/ids'
import { defaultPlanType, ownUsage, usageOf } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import { validateUsage } from '../options'
import type { EmulatorState } from '../state'
import type { EmulatorAdditionalRateLimit, EmulatorSpendControl, EmulatorUsageSettings } from '../types'
import { authenticate } from './auth'
import { backendHeaders } from './headers'

const PRIMARY_WINDOW_SECONDS = 18_000
const SECONDARY_WINDOW_SECONDS = 604_800

/** The usage figures as they stand (reset times absolute, epoch seconds). */
export interface UsageState {
  primaryUsedPercent: number
  secondaryUsedPercent: number
  primaryResetAt: number
  secondaryResetAt: number
  hasCredits: boolean
  unlimitedCredits: boolean
  creditsBalance: string
  whamForbidden: boolean
  weeklyOnly: boolean
  additionalRateLimits: EmulatorAdditionalRateLimit[]
  spendControl: EmulatorSpendControl | null
  rateLimitReachedType: string | null
  resetCreditsAvailable: number
  codeReviewUsedPercent: number | null
}

/** The starting figures, with `settings` (already validated) merged in. */
export function createUsage(settings: EmulatorUsageSettings | undefined): UsageState {
  const now = nowSeconds()
  const usage: UsageState = {
    primaryUsedPercent: 12,
    secondaryUsedPercent: 34,
    primaryResetAt: now + 7200,
    secondaryResetAt: now + 259_200,
    hasCredits: false,
    unlimitedCredits: false,
    creditsBalance: '0',
    whamForbidden: false,
    weeklyOnly: false,
    additionalRateLimits: [],
    spendControl: null,
    rateLimitReachedType: null,
    resetCreditsAvailable: 0,
    codeReviewUsedPercent: null,
  }
  if (settings) applyUsage(usage, settings)
  return usage
}

function applyUsage(usage: UsageState, settings: EmulatorUsageSettings): void {
  if (settings.primaryUsedPercent !== undefined) usage.primaryUsedPercent = settings.primaryUsedPercent
  if (settings.secondaryUsedPercent !== undefined) usage.secondaryUsedPercent = settings.secondaryUsedPercent
  if (settings.primaryResetAfterSeconds !== undefined) {
    usage.primaryResetAt = nowSeconds() + settings.primaryResetAfterSeconds
  }
  if (settings.secondaryResetAfterSeconds !== undefined) {
    usage.secondaryResetAt = nowSeconds() + settings.secondaryResetAfterSeconds
  }
  if (settings.hasCredits !== undefined) usage.hasCredits = settings.hasCredits
  if (settings.unlimitedCredits !== undefined) usage.unlimitedCredits = settings.unlimitedCredits
  if (settings.creditsBalance !== undefined) usage.creditsBalance = settings.creditsBalance
  if (settings.whamForbidden !== undefined) usage.whamForbidden = settings.whamForbidden
  if (settings.weeklyOnly !== undefined) usage.weeklyOnly = settings.weeklyOnly
  if (settings.additionalRateLimits !== undefined) {
    usage.additionalRateLimits = structuredClone(settings.additionalRateLimits)
  }
  if (settings.spendControl !== undefined) usage.spendControl = structuredClone(settings.spendControl)
  if (settings.rateLimitReachedType !== undefined) usage.rateLimitReachedType = settings.rateLimitReachedType
  if (settings.resetCreditsAvailable !== undefined)
    usage.resetCreditsAvailable = settings.resetCreditsAvailable
  if (settings.codeReviewUsedPercent !== undefined)
    usage.codeReviewUsedPercent = settings.codeReviewUsedPercent
}

/** `setUsage()`: validate and merge new figures (a registered account's own, when `accountId` is given). */
export function setUsage(state: EmulatorState, settings: EmulatorUsageSettings, accountId?: string): void {
  validateUsage(settings)
  applyUsage(accountId === undefined ? state.backend.usage : ownUsage(state, accountId), settings)
}

/**
 * The spent window of `usage` (used ≥ 100 %) that resets last, as seconds until its reset; null
 * while the account has capacity.
 */
export function spentWindow(usage: UsageState): { resetAfter: number } | null {
  let resetAfter: number | null = null
  for (const which of ['primary', 'secondary'] as const) {
    const used = which === 'primary' ? usage.primaryUsedPercent : usage.secondaryUsedPercent
    if (used < 100) continue
    const after = windowState(usage, which).resetAfter
    if (resetAfter === null || after > resetAfter) resetAfter = after
  }
  return resetAfter === null ? null : { resetAfter }
}

/** Seconds until a window resets, rolling the window forward once it has passed. */
function windowState(
  usage: UsageState,
  which: 'primary' | 'secondary',
): { resetAt: number; resetAfter: number } {
  const length = which === 'primary' ? PRIMARY_WINDOW_SECONDS : SECONDARY_WINDOW_SECONDS
  const key = which === 'primary' ? 'primaryResetAt' : 'secondaryResetAt'
  const t = nowSeconds()
  while (usage[key] < t) usage[key] += length
  return { resetAt: usage[key], resetAfter: usage[key] - t }
}

/**
 * The `x-codex-*` rate-limit headers (of `accountId`'s figures); `primaryOverride` reports a spent
 * primary window.
 */
export function codexHeaders(
  state: EmulatorState,
  plan: string,
  primaryOverride?: { used: number; resetAfter: number },
  accountId?: string,
): OutgoingHttpHeaders {
  const usage = usageOf(state, accountId)
  const primary = windowState(usage, 'primary')
  const secondary = windowState(usage, 'secondary')
  const pUsed = primaryOverride ? primaryOverride.used : usage.primaryUsedPercent
  const pAfter = primaryOverride ? primaryOverride.resetAfter : primary.resetAfter
  const pAt = primaryOverride ? nowSeconds() + primaryOverride.resetAfter : primary.resetAt
  const credits = {
    'x-codex-credits-has-credits': usage.hasCredits ? 'True' : 'False',
    'x-codex-credits-unlimited': usage.unlimitedCredits ? 'True' : 'False',
    'x-codex-credits-balance': usage.creditsBalance,
  }
  if (usage.weeklyOnly) {
    // one window, the weekly one, reported as primary
    return {
      'x-codex-plan-type': plan,
      'x-codex-active-limit': 'codex',
      'x-codex-primary-used-percent': String(
        primaryOverride ? primaryOverride.used : usage.secondaryUsedPercent,
      ),
      'x-codex-primary-window-minutes': '10080',
      'x-codex-primary-reset-after-seconds': String(primaryOverride ? pAfter : secondary.resetAfter),
      'x-codex-primary-reset-at': String(primaryOverride ? pAt : secondary.resetAt),
      ...credits,
    }
  }
  return {
    'x-codex-plan-type': plan,
    'x-codex-active-limit': 'codex',
    'x-codex-primary-used-percent': String(pUsed),
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-after-seconds': String(pAfter),
    'x-codex-primary-reset-at': String(pAt),
    'x-codex-secondary-used-percent': String(usage.secondaryUsedPercent),
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-after-seconds': String(secondary.resetAfter),
    'x-codex-secondary-reset-at': String(secondary.resetAt),
    'x-codex-primary-over-secondary-limit-percent': '0',
    ...credits,
  }
}

/** The `codex.rate_limits` frame (without `type`): plan, windows in minutes, credits. */
export function rateLimitsEvent(state: EmulatorState, plan: string): Record<string, unknown> {
  const usage = state.backend.usage
  const primary = windowState(usage, 'primary')
  const secondary = windowState(usage, 'secondary')
  const weekly = {
    used_percent: usage.secondaryUsedPercent,
    window_minutes: SECONDARY_WINDOW_SECONDS / 60,
    reset_at: secondary.resetAt,
  }
  return {
    plan_type: plan,
    rate_limits: usage.weeklyOnly
      ? { primary: weekly, secondary: null }
      : {
          primary: {
            used_percent: usage.primaryUsedPercent,
            window_minutes: PRIMARY_WINDOW_SECONDS / 60,
            reset_at: primary.resetAt,
          },
          secondary: weekly,
        },
    credits: {
      has_credits: usage.hasCredits,
      unlimited: usage.unlimitedCredits,
      balance: usage.creditsBalance,
    },
    limit_name: 'codex',
  }
}

/** A `/wham/usage` window object. */
function windowBody(usedPercent: number, seconds: number, at: { resetAt: number; resetAfter: number }) {
  return {
    used_percent: Math.round(usedPercent),
    limit_window_seconds: seconds,
    reset_after_seconds: at.resetAfter,
    reset_at: at.resetAt,
  }
}

/** The 429 body of a spent usage limit. */
export function usageLimitBody(plan: string, seconds: number): unknown {
  return {
    error: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: plan,
      resets_at: nowSeconds() + seconds,
      eligible_promo: null,
      resets_in_seconds: seconds,
    },
  }
}

/** `GET /backend-api/wham/usage` (and the `/codex/usage` aliases): the usage figures. */
export async function handleUsage(ex: Exchange): Promise<void> {
  const { res, record, state } = ex
  const plan = defaultPlanType(state)
  let headers = backendHeaders(state, record.requestId, plan)
  if ((await runPre(ex, 'usage', headers)).done) return
  const identity = authenticate(ex, headers)
  if (!identity) return
  headers = backendHeaders(state, record.requestId, identity.plan, identity.accountId)
  const usage = usageOf(state, identity.accountId)
  if (usage.whamForbidden && ex.path === '/backend-api/wham/usage') {
    sendJson(res, 403, { detail: 'Forbidden' }, headers)
    return
  }
  sendJson(res, 200, usagePayload(usage, identity), headers)
}

/** The whole `/wham/usage` payload of late 2026. */
function usagePayload(
  usage: UsageState,
  identity: { userId: string; accountId: string; email: string; plan: string },
) {
  const primary = windowState(usage, 'primary')
  const secondary = windowState(usage, 'secondary')
  const weekly = windowBody(usage.secondaryUsedPercent, SECONDARY_WINDOW_SECONDS, secondary)
  const limitReached = usage.weeklyOnly
    ? usage.secondaryUsedPercent >= 100
    : usage.primaryUsedPercent >= 100 || usage.secondaryUsedPercent >= 100
  const reachedType = usage.rateLimitReachedType ?? (limitReached ? 'rate_limit_reached' : null)
  const additional = usage.additionalRateLimits.map((limit) => {
    const seconds = limit.windowSeconds ?? PRIMARY_WINDOW_SECONDS
    const used = limit.usedPercent ?? 0
    return {
      limit_name: limit.limit_name,
      metered_feature: limit.metered_feature,
      rate_limit: {
        allowed: used < 100,
        limit_reached: used >= 100,
        primary_window: windowBody(used, seconds, { resetAt: nowSeconds() + seconds, resetAfter: seconds }),
        secondary_window: null,
      },
    }
  })
  const codeReview =
    usage.codeReviewUsedPercent === null
      ? null
      : {
          allowed: usage.codeReviewUsedPercent < 100,
          limit_reached: usage.codeReviewUsedPercent >= 100,
          primary_window: windowBody(usage.codeReviewUsedPercent, SECONDARY_WINDOW_SECONDS, secondary),
          secondary_window: null,
        }
  return {
    user_id: identity.userId,
    account_id: identity.accountId,
    email: identity.email,
    plan_type: identity.plan,
    rate_limit: {
      allowed: !limitReached,
      limit_reached: limitReached,
      primary_window: usage.weeklyOnly
        ? weekly
        : windowBody(usage.primaryUsedPercent, PRIMARY_WINDOW_SECONDS, primary),
      secondary_window: usage.weeklyOnly ? null : weekly,
    },
    credits: {
      has_credits: usage.hasCredits,
      unlimited: usage.unlimitedCredits,
      balance: usage.creditsBalance,
      approx_local_messages: [0, 0],
      approx_cloud_messages: [0, 0],
    },
    spend_control: usage.spendControl,
    rate_limit_reached_type: reachedType,
    rate_limit_reset_credits: { available_count: usage.resetCreditsAvailable },
    code_review_rate_limit: codeReview,
    additional_rate_limits: additional.length > 0 ? additional : null,
  }
}

import type { OutgoingHttpHeaders } from 'node:http'
import { sendJson } from '../_internal/http'
import { nowSeconds } from '../_internal/ids'
import { defaultPlanType, ownUsage, usageOf } from '../accounts'
import { runPre } from '../behaviours/pre'
import type { Exchange } from '../exchange'
import { validateUsage } from '../options'
import type { EmulatorState } from '../state'
import type { EmulatorUsageSettings } from '../types'
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
    'x-codex-credits-has-credits': usage.hasCredits ? 'True' : 'False',
    'x-codex-credits-unlimited': usage.unlimitedCredits ? 'True' : 'False',
    'x-codex-credits-balance': usage.creditsBalance,
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
  const primary = windowState(usage, 'primary')
  const secondary = windowState(usage, 'secondary')
  const limitReached = usage.primaryUsedPercent >= 100 || usage.secondaryUsedPercent >= 100
  const body = {
    user_id: identity.userId,
    account_id: identity.accountId,
    email: identity.email,
    plan_type: identity.plan,
    rate_limit: {
      allowed: !limitReached,
      limit_reached: limitReached,
      primary_window: {
        used_percent: Math.round(usage.primaryUsedPercent),
        limit_window_seconds: PRIMARY_WINDOW_SECONDS,
        reset_after_seconds: primary.resetAfter,
        reset_at: primary.resetAt,
      },
      secondary_window: {
        used_percent: Math.round(usage.secondaryUsedPercent),
        limit_window_seconds: SECONDARY_WINDOW_SECONDS,
        reset_after_seconds: secondary.resetAfter,
        reset_at: secondary.resetAt,
      },
    },
    credits: {
      has_credits: usage.hasCredits,
      unlimited: usage.unlimitedCredits,
      balance: usage.creditsBalance,
      approx_local_messages: [0, 0],
      approx_cloud_messages: [0, 0],
    },
    code_review_rate_limit: null,
    additional_rate_limits: null,
  }
  sendJson(res, 200, body, headers)
}

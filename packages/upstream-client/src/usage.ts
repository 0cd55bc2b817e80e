import { isRecord } from './errors'

/** One normalised usage window (reference §9 "OpenAI normalized usage"). */
export interface UsageWindow {
  used_percent: number | null
  /** 100 − used, clamped to 0–100, 2 decimals. */
  remaining_percent: number | null
  window_seconds: number | null
  /** Rounded up. */
  window_minutes: number | null
  /** 604800 → "weekly", else "Nd" / "Nh" / "Nm" / "Ns"; null when unknown. */
  window_label: string | null
  reset_after_seconds: number | null
  /** Same value as `reset_after_seconds` (the name used in upstream error bodies). */
  resets_in_seconds: number | null
  /** Epoch seconds. */
  reset_at: number | null
  reset_at_iso: string | null
}

/** `{allowed, limit_reached, primary_window, secondary_window}`. */
export interface UsageRateLimit {
  allowed: boolean | null
  limit_reached: boolean | null
  primary_window: UsageWindow | null
  secondary_window: UsageWindow | null
}

/** Normalised subscription usage, as served by the relay's `/v1/subscription/status`. */
export interface UsageSnapshot {
  object: 'subscription_status'
  /** ISO-8601 UTC. */
  captured_at: string
  source: { kind: 'chatgpt_subscription'; upstream_path: string }
  account: {
    user_id: string | null
    account_id: string | null
    email: string | null
    plan_type: string | null
  }
  rate_limits: {
    default: UsageRateLimit | null
    code_review: UsageRateLimit | null
    additional: Array<{
      limit_name: string | null
      metered_feature: string | null
      rate_limit: UsageRateLimit | null
    }>
  }
  /** Windows of the default limit classified by `limit_window_seconds` (not by slot). */
  windows: { five_hour: UsageWindow | null; weekly: UsageWindow | null }
  credits: {
    has_credits: boolean | null
    unlimited: boolean | null
    overage_limit_reached: boolean | null
    balance: string | number | null
    approx_local_messages: unknown
    approx_cloud_messages: unknown
  } | null
  spend_control: unknown
  rate_limit_reached_type: unknown
  rate_limit_reset_credits: unknown
  /** The upstream payload, verbatim. */
  raw: Record<string, unknown>
}

const FIVE_HOURS = 18_000
const WEEK = 604_800

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null
}

/** 604800 → "weekly"; whole days → "Nd"; whole hours → "Nh"; whole minutes → "Nm"; else "Ns"; none/0 → null. */
export function windowLabel(seconds: number | null | undefined): string | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return null
  if (seconds === WEEK) return 'weekly'
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`
  if (seconds % 60 === 0) return `${seconds / 60}m`
  return `${seconds}s`
}

function normalizeWindow(value: unknown, nowSeconds: number): UsageWindow | null {
  if (!isRecord(value)) return null
  const used = num(value.used_percent)
  const windowSeconds = num(value.limit_window_seconds)
  let resetAfter = num(value.reset_after_seconds) ?? num(value.resets_in_seconds)
  let resetAt = num(value.reset_at)
  if (resetAfter === null && resetAt !== null) resetAfter = Math.max(0, Math.round(resetAt - nowSeconds))
  if (resetAt === null && resetAfter !== null) resetAt = Math.round(nowSeconds + resetAfter)
  if (used === null && windowSeconds === null && resetAt === null) return null
  return {
    used_percent: used,
    remaining_percent: used === null ? null : Math.round(Math.min(100, Math.max(0, 100 - used)) * 100) / 100,
    window_seconds: windowSeconds,
    window_minutes: windowSeconds === null ? null : Math.ceil(windowSeconds / 60),
    window_label: windowLabel(windowSeconds),
    reset_after_seconds: resetAfter,
    resets_in_seconds: resetAfter,
    reset_at: resetAt,
    reset_at_iso: resetAt === null ? null : new Date(resetAt * 1000).toISOString(),
  }
}

function normalizeRateLimit(value: unknown, nowSeconds: number): UsageRateLimit | null {
  if (!isRecord(value)) return null
  return {
    allowed: bool(value.allowed),
    limit_reached: bool(value.limit_reached),
    primary_window: normalizeWindow(value.primary_window, nowSeconds),
    secondary_window: normalizeWindow(value.secondary_window, nowSeconds),
  }
}

/** Normalise a `/wham/usage` (or `/codex/usage`) payload. */
export function normalizeUsage(
  payload: Record<string, unknown>,
  nowMs: number,
  upstreamPath: string,
): UsageSnapshot {
  const nowSeconds = nowMs / 1000
  const defaultLimit = normalizeRateLimit(payload.rate_limit, nowSeconds)
  const windows: UsageSnapshot['windows'] = { five_hour: null, weekly: null }
  for (const window of [defaultLimit?.primary_window, defaultLimit?.secondary_window]) {
    if (!window) continue
    if (window.window_seconds === FIVE_HOURS) windows.five_hour ??= window
    else if (window.window_seconds === WEEK) windows.weekly ??= window
  }
  const additional = Array.isArray(payload.additional_rate_limits)
    ? payload.additional_rate_limits.filter(isRecord).map((entry) => ({
        limit_name: str(entry.limit_name),
        metered_feature: str(entry.metered_feature),
        rate_limit: normalizeRateLimit(entry.rate_limit, nowSeconds),
      }))
    : []
  const credits = isRecord(payload.credits)
    ? {
        has_credits: bool(payload.credits.has_credits),
        unlimited: bool(payload.credits.unlimited),
        overage_limit_reached: bool(payload.credits.overage_limit_reached),
        balance:
          typeof payload.credits.balance === 'string' || typeof payload.credits.balance === 'number'
            ? payload.credits.balance
            : null,
        approx_local_messages: payload.credits.approx_local_messages ?? null,
        approx_cloud_messages: payload.credits.approx_cloud_messages ?? null,
      }
    : null
  return {
    object: 'subscription_status',
    captured_at: new Date(nowMs).toISOString(),
    source: { kind: 'chatgpt_subscription', upstream_path: upstreamPath },
    account: {
      user_id: str(payload.user_id),
      account_id: str(payload.account_id),
      email: str(payload.email),
      plan_type: str(payload.plan_type),
    },
    rate_limits: {
      default: defaultLimit,
      code_review: normalizeRateLimit(payload.code_review_rate_limit, nowSeconds),
      additional,
    },
    windows,
    credits,
    spend_control: payload.spend_control ?? null,
    rate_limit_reached_type: payload.rate_limit_reached_type ?? null,
    rate_limit_reset_credits: payload.rate_limit_reset_credits ?? null,
    raw: payload,
  }
}

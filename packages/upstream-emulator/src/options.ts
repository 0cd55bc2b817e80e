import type { Identity } from './accounts'
import { UpstreamEmulatorError } from './errors'
import type {
  EmulatorAccountOptions,
  EmulatorExtraEvents,
  EmulatorModel,
  EmulatorUsageSettings,
  UpstreamEmulatorOptions,
} from './types'

/** The OAuth client id of the Codex CLI, accepted by default. */
export const DEFAULT_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'

/** `UpstreamEmulatorOptions` with every default filled in. Read-only after start. */
export interface EmulatorConfig {
  host: string
  port: number
  clientId: string
  /** Identity of browser/device logins and of tokens minted without overrides. */
  defaults: Identity
  /** Access-token lifetime, seconds. */
  ttl: number
  pacing: { events: number | undefined; gapMs: number; ttftMs: number }
  /** The catalog as configured (copied). */
  models: EmulatorModel[] | undefined
  usage: EmulatorUsageSettings | undefined
  /** Non-standard frames added to every stream. */
  extraEvents: EmulatorExtraEvents
  deviceInterval: string | number
  autoApproveAfter: number | null
  deviceTtlMs: number
  authorizeError: string | undefined
  maxRecorded: number
  /** Accounts registered at start (validated when registered). */
  accounts: EmulatorAccountOptions[]
}

export function invalidOption(message: string): never {
  throw new UpstreamEmulatorError('emulator_invalid_option', message)
}

export function checkNumber(
  name: string,
  value: unknown,
  opts: { integer?: boolean; min?: number; max?: number },
): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalidOption(`Option "${name}" must be a finite number.`)
  if (opts.integer && !Number.isInteger(value)) invalidOption(`Option "${name}" must be an integer.`)
  if (opts.min !== undefined && value < opts.min) invalidOption(`Option "${name}" must be >= ${opts.min}.`)
  if (opts.max !== undefined && value > opts.max) invalidOption(`Option "${name}" must be <= ${opts.max}.`)
}

export function checkString(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'string' || value.length === 0)
    invalidOption(`Option "${name}" must be a non-empty string.`)
}

function validateDeviceInterval(interval: UpstreamEmulatorOptions['deviceInterval']): void {
  if (interval === undefined) return
  const n = typeof interval === 'string' ? Number(interval) : interval
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < 0 ||
    (typeof interval === 'string' && interval.trim() === '')
  ) {
    invalidOption('Option "deviceInterval" must be a non-negative number or numeric string.')
  }
}

function validateModels(models: UpstreamEmulatorOptions['models']): void {
  if (models === undefined) return
  if (!Array.isArray(models) || models.length === 0) {
    invalidOption('Option "models" must be a non-empty array of catalog entries.')
  }
  for (const m of models) {
    if (typeof m !== 'object' || m === null || typeof m.slug !== 'string' || m.slug.length === 0) {
      invalidOption('Every entry of "models" needs a non-empty "slug".')
    }
    if (!Array.isArray(m.supported_reasoning_levels)) {
      invalidOption(`Model "${m.slug}" needs "supported_reasoning_levels" (an array).`)
    }
  }
}

function validateOptions(options: UpstreamEmulatorOptions): void {
  if (typeof options !== 'object' || options === null) invalidOption('Options must be an object.')
  for (const name of [
    'host',
    'clientId',
    'accountId',
    'email',
    'plan',
    'userId',
    'authorizeError',
  ] as const) {
    checkString(name, options[name])
  }
  checkNumber('port', options.port, { integer: true, min: 0, max: 65535 })
  checkNumber('accessTokenTtlSeconds', options.accessTokenTtlSeconds, { min: 1 })
  checkNumber('events', options.events, { integer: true, min: 1 })
  checkNumber('gapMs', options.gapMs, { min: 0 })
  checkNumber('ttftMs', options.ttftMs, { min: 0 })
  checkNumber('deviceCodeTtlSeconds', options.deviceCodeTtlSeconds, { min: 0 })
  checkNumber('maxRecordedRequests', options.maxRecordedRequests, { integer: true, min: 0 })
  if (options.deviceAutoApproveAfterPolls !== null) {
    checkNumber('deviceAutoApproveAfterPolls', options.deviceAutoApproveAfterPolls, { integer: true, min: 0 })
  }
  validateDeviceInterval(options.deviceInterval)
  validateModels(options.models)
  if (options.usage !== undefined) validateUsage(options.usage)
  if (options.accounts !== undefined && !Array.isArray(options.accounts)) {
    invalidOption('Option "accounts" must be an array of accounts.')
  }
  if (
    options.extraEvents !== undefined &&
    (typeof options.extraEvents !== 'object' || options.extraEvents === null)
  ) {
    invalidOption('Option "extraEvents" must be an object.')
  }
}

export function validateUsage(usage: EmulatorUsageSettings): void {
  if (typeof usage !== 'object' || usage === null) invalidOption('Option "usage" must be an object.')
  checkNumber('usage.primaryUsedPercent', usage.primaryUsedPercent, { min: 0, max: 100 })
  checkNumber('usage.secondaryUsedPercent', usage.secondaryUsedPercent, { min: 0, max: 100 })
  checkNumber('usage.primaryResetAfterSeconds', usage.primaryResetAfterSeconds, { min: 0 })
  checkNumber('usage.secondaryResetAfterSeconds', usage.secondaryResetAfterSeconds, { min: 0 })
  checkNumber('usage.resetCreditsAvailable', usage.resetCreditsAvailable, { integer: true, min: 0 })
  if (usage.codeReviewUsedPercent !== null) {
    checkNumber('usage.codeReviewUsedPercent', usage.codeReviewUsedPercent, { min: 0, max: 100 })
  }
  if (usage.additionalRateLimits !== undefined) {
    if (!Array.isArray(usage.additionalRateLimits))
      invalidOption('"usage.additionalRateLimits" must be an array.')
    for (const limit of usage.additionalRateLimits) {
      checkString('usage.additionalRateLimits[].limit_name', limit?.limit_name)
      checkNumber('usage.additionalRateLimits[].usedPercent', limit?.usedPercent, { min: 0, max: 100 })
      checkNumber('usage.additionalRateLimits[].windowSeconds', limit?.windowSeconds, { min: 1 })
    }
  }
}

/** Validate the options (throws `emulator_invalid_option`) and fill in the defaults. */
export function resolveOptions(options: UpstreamEmulatorOptions): EmulatorConfig {
  validateOptions(options)
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    defaults: {
      accountId: options.accountId ?? 'acct_emulator',
      email: options.email ?? 'dev@example.com',
      plan: options.plan ?? 'plus',
      userId: options.userId ?? 'user_emulator',
    },
    ttl: options.accessTokenTtlSeconds ?? 3600,
    pacing: { events: options.events, gapMs: options.gapMs ?? 0, ttftMs: options.ttftMs ?? 0 },
    models: options.models ? structuredClone(options.models) : undefined,
    usage: options.usage,
    extraEvents: { ...(options.extraEvents ?? {}) },
    deviceInterval: options.deviceInterval ?? '5',
    autoApproveAfter:
      options.deviceAutoApproveAfterPolls === undefined ? 1 : options.deviceAutoApproveAfterPolls,
    deviceTtlMs: (options.deviceCodeTtlSeconds ?? 900) * 1000,
    authorizeError: options.authorizeError,
    maxRecorded: options.maxRecordedRequests ?? 10_000,
    accounts: options.accounts ? structuredClone(options.accounts) : [],
  }
}

import { createUsage, type UsageState } from './backend/usage'
import { checkString, invalidOption, validateUsage } from './options'
import type { EmulatorState } from './state'
import type { EmulatorAccountOptions, IssueTokensOptions } from './types'

/** Who a token, an authorization code or a device login belongs to. */
export interface Identity {
  accountId: string
  email: string
  plan: string
  userId: string
}

/**
 * A registered account (option `accounts`, `addAccount()`): its identity, and optionally its own
 * usage figures and model list. Unregistered accounts share the emulator-wide figures and catalog.
 */
export interface AccountRecord {
  identity: Identity
  /** Own usage figures; null = the emulator-wide ones. */
  usage: UsageState | null
  /** Model slugs this account sees; null = the whole catalog. */
  models: ReadonlySet<string> | null
}

/** Validate account options (throws `emulator_invalid_option`). */
export function validateAccount(opts: EmulatorAccountOptions, where: string): void {
  if (typeof opts !== 'object' || opts === null) invalidOption(`${where} must be an object.`)
  if (typeof opts.accountId !== 'string' || opts.accountId.length === 0) {
    invalidOption(`${where} needs a non-empty "accountId".`)
  }
  for (const name of ['email', 'plan', 'userId'] as const) checkString(`${where}.${name}`, opts[name])
  if (opts.usage !== undefined) validateUsage(opts.usage)
  if (opts.models !== undefined) {
    if (!Array.isArray(opts.models) || opts.models.some((m) => typeof m !== 'string' || m.length === 0)) {
      invalidOption(`${where}.models must be an array of model slugs.`)
    }
  }
}

/**
 * Register (or replace) an account. E-mail defaults to `<accountId>@example.com`, plan and user id
 * to the emulator's defaults (the user id suffixed with the account id, so accounts differ).
 */
export function registerAccount(state: EmulatorState, opts: EmulatorAccountOptions): void {
  validateAccount(opts, 'account')
  const defaults = state.config.defaults
  const identity: Identity = {
    accountId: opts.accountId,
    email: opts.email ?? `${opts.accountId}@example.com`,
    plan: opts.plan ?? defaults.plan,
    userId: opts.userId ?? `${defaults.userId}_${opts.accountId}`,
  }
  state.accounts.registry.set(opts.accountId, {
    identity,
    usage: opts.usage ? createUsage(opts.usage) : null,
    models: opts.models ? new Set(opts.models) : null,
  })
}

/** The registered account of `accountId`, if any. */
export function accountRecord(
  state: EmulatorState,
  accountId: string | undefined,
): AccountRecord | undefined {
  return accountId === undefined ? undefined : state.accounts.registry.get(accountId)
}

/** `setLoginAccount()`: the identity of the next browser and device logins (null: the defaults). */
export function setLoginAccount(state: EmulatorState, accountId: string | null): void {
  if (accountId !== null && !state.accounts.registry.has(accountId)) {
    invalidOption(`Unknown account "${String(accountId)}": register it with addAccount() first.`)
  }
  state.accounts.login = accountId
}

/** The identity browser and device logins sign in as (a copy). */
export function loginIdentity(state: EmulatorState): Identity {
  const record = accountRecord(state, state.accounts.login ?? undefined)
  return { ...(record?.identity ?? state.config.defaults) }
}

/** The plan reported on answers sent before the caller is known (pre behaviours, 404/405/413). */
export function defaultPlanType(state: EmulatorState): string {
  return state.config.defaults.plan
}

/**
 * The identity of `opts`: a registered account's identity when `accountId` names one, else the
 * emulator's defaults; explicit fields win.
 */
export function identityFor(state: EmulatorState, opts: IssueTokensOptions = {}): Identity {
  const base = accountRecord(state, opts.accountId)?.identity ?? state.config.defaults
  return {
    accountId: opts.accountId ?? base.accountId,
    email: opts.email ?? base.email,
    plan: opts.plan ?? base.plan,
    userId: opts.userId ?? base.userId,
  }
}

/** The usage figures of `accountId`: its own when it has some, else the emulator-wide ones. */
export function usageOf(state: EmulatorState, accountId: string | undefined): UsageState {
  return accountRecord(state, accountId)?.usage ?? state.backend.usage
}

/** The usage figures `setUsage(…, accountId)` changes: the account gets its own copy first. */
export function ownUsage(state: EmulatorState, accountId: string): UsageState {
  const record = accountRecord(state, accountId)
  if (!record) invalidOption(`Unknown account "${accountId}": register it with addAccount() first.`)
  record.usage ??= { ...state.backend.usage }
  return record.usage
}

/** True when `accountId` may use `slug` (no list registered, or the slug is on it). */
export function accountSeesModel(state: EmulatorState, accountId: string | undefined, slug: string): boolean {
  const models = accountRecord(state, accountId)?.models
  return !models || models.has(slug)
}

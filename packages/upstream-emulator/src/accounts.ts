import type { EmulatorState } from './state'
import type { IssueTokensOptions } from './types'

/** Who a token, an authorization code or a device login belongs to. */
export interface Identity {
  accountId: string
  email: string
  plan: string
  userId: string
}

/** The identity browser and device logins sign in as (a copy). */
export function loginIdentity(state: EmulatorState): Identity {
  return { ...state.config.defaults }
}

/** The plan reported on answers sent before the caller is known (pre behaviours, 404/405/413). */
export function defaultPlanType(state: EmulatorState): string {
  return state.config.defaults.plan
}

/** The identity of `opts`, with the emulator's defaults for every field left out. */
export function identityFor(state: EmulatorState, opts: IssueTokensOptions = {}): Identity {
  const defaults = state.config.defaults
  return {
    accountId: opts.accountId ?? defaults.accountId,
    email: opts.email ?? defaults.email,
    plan: opts.plan ?? defaults.plan,
    userId: opts.userId ?? defaults.userId,
  }
}

import type { IssueTokensOptions } from './types'

/** Who a token, an authorization code or a device login belongs to. */
export interface Identity {
  accountId: string
  email: string
  plan: string
  userId: string
}

/** The identity of `opts`, with the emulator's defaults for every field left out. */
export function identityFor(defaults: Identity, opts: IssueTokensOptions = {}): Identity {
  return {
    accountId: opts.accountId ?? defaults.accountId,
    email: opts.email ?? defaults.email,
    plan: opts.plan ?? defaults.plan,
    userId: opts.userId ?? defaults.userId,
  }
}

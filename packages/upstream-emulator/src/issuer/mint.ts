import { identityFor } from '../accounts'
import { checkNumber, checkString, invalidOption } from '../options'
import type { EmulatorState } from '../state'
import type { IssuedTokens, IssueTokensOptions, StoredAuth } from '../types'

/** `issueTokens()`: mint and register tokens without an OAuth dance. */
export function issueTokens(state: EmulatorState, opts: IssueTokensOptions = {}): IssuedTokens {
  if (typeof opts !== 'object' || opts === null) invalidOption('issueTokens() options must be an object.')
  for (const name of ['accountId', 'email', 'plan', 'userId'] as const) checkString(name, opts[name])
  checkNumber('expiresInSeconds', opts.expiresInSeconds, {})
  const identity = identityFor(state, opts)
  const minted = state.issuer.tokens.mint(identity, opts.expiresInSeconds ?? state.config.ttl)
  return {
    id_token: minted.id_token,
    access_token: minted.access_token,
    refresh_token: minted.refresh_token,
    account_id: minted.account_id,
  }
}

/** `storedAuth()`: fresh tokens in the relay's auth.json shape. */
export function storedAuth(state: EmulatorState, opts: IssueTokensOptions = {}): StoredAuth {
  const issued = issueTokens(state, opts)
  return {
    bound_account_id: issued.account_id,
    tokens: { ...issued },
    last_refresh: new Date().toISOString(),
  }
}

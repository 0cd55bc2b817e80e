import type { RelayTokenInfo } from '@airelays/auth-store'
import { isWeakRelayToken, readRelayToken } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'

/**
 * The relay token as the relay will see it: `AIRELAYS_BEARER_TOKEN` (legacy
 * `AIRELAY_BEARER_TOKEN`, both resolved by @airelays/config into `security.bearer_token`) wins,
 * then the first non-empty line of `bearer_token_file`.
 */
export function readConfiguredToken(config: ResolvedConfig): Promise<RelayTokenInfo> {
  const envToken = config.security.bearer_token
  return readRelayToken({
    env: envToken ? { AIRELAYS_BEARER_TOKEN: envToken } : {},
    file: config.security.bearer_token_file,
  })
}

/** Why `serve` (with bearer auth on) and `token show --raw` stop when there is no relay token. */
export const NO_TOKEN_MESSAGE =
  'Bearer authentication is enabled, but no relay token is configured. Run `airelays init` or set AIRELAYS_BEARER_TOKEN.'

/** `token show --raw` without a token while bearer auth is off. */
export const NO_TOKEN_AUTH_OFF_MESSAGE =
  'No relay token is configured (bearer auth is disabled, so the relay does not need one). Run `airelays token rotate` to create one, or set AIRELAYS_BEARER_TOKEN.'

/** Summary extras for `settingsSummary()` from a resolved token. */
export function tokenSummary(info: RelayTokenInfo): {
  present: boolean
  source: 'env' | 'file' | null
  fingerprint: string | null
} {
  return { present: info.token !== null, source: info.source, fingerprint: info.fingerprint }
}

/**
 * What to say about a relay token under 128 bits (issue 26, item 2), whatever it came from (the
 * file, `AIRELAYS_BEARER_TOKEN`): `refusal` when the user has not opted in with
 * `allow_weak_bearer_token` (`--allow-weak-token`, `AIRELAYS_ALLOW_WEAK_BEARER_TOKEN`), else a
 * `warning`. Both null for a strong token, no token, or bearer auth off.
 */
export function weakTokenVerdict(
  config: ResolvedConfig,
  token: RelayTokenInfo,
  what: string,
): { refusal: string | null; warning: string | null } {
  if (!config.security.require_bearer_auth || token.token === null || !isWeakRelayToken(token.token))
    return { refusal: null, warning: null }
  const from = token.source === 'env' ? 'AIRELAYS_BEARER_TOKEN' : token.file
  const fix = `Run \`airelays token rotate\` for a strong one${token.source === 'env' ? ' and unset AIRELAYS_BEARER_TOKEN' : ''}`
  if (!config.security.allow_weak_bearer_token) {
    return {
      refusal: `The relay token (from ${from}) is weak (under 128 bits), so ${what}. ${fix}, or pass --allow-weak-token (allow_weak_bearer_token = true) to accept the risk.`,
      warning: null,
    }
  }
  return { refusal: null, warning: `The relay token (from ${from}) looks weak (under 128 bits). ${fix}.` }
}

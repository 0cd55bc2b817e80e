import { rotateRelayToken } from '@airelays/auth-store'
import type { ConfigFlags } from '@airelays/config'
import { settingsSummary } from '@airelays/config'
import { type ClientBlock, clientBlock, printClientSetup } from '../_internal/client'
import { printJson, printWarning, type Terminal } from '../_internal/output'
import { NO_TOKEN_AUTH_OFF_MESSAGE, NO_TOKEN_MESSAGE, readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError } from '../errors'

/** Options of `airelays token show|rotate`. */
export interface TokenOptions {
  flags: ConfigFlags
  action: 'show' | 'rotate'
  json: boolean
  /** `token show --raw`: print only the token and a newline (exit 1 when there is none). */
  raw?: boolean
}

/** `airelays token show --json`. */
export interface TokenShowPayload {
  bearer_token_present: boolean
  bearer_token_file: string
  bearer_token_source: 'env' | 'file' | null
  relay_token: string | null
  client: ClientBlock
  next_steps: string[]
}

/** `airelays token rotate --json`. */
export interface TokenRotatePayload {
  bearer_token_file: string
  /** `env` when AIRELAYS_BEARER_TOKEN is set: it still wins over the new file token. */
  bearer_token_source: 'env' | 'file'
  relay_token: string
  /** First 12 hex characters of the new token's sha256. */
  bearer_token_fingerprint: string
  client: ClientBlock
}

/** `airelays token show` prints the relay token; `airelays token rotate` writes a new one. */
export async function runToken(term: Terminal, options: TokenOptions): Promise<number> {
  const { config } = await loadSettings(options.flags, { term, json: options.json, onErrors: 'fail' })
  const baseUrl = settingsSummary(config).client_base_url
  const out = term.out

  if (options.action === 'show') {
    const token = await readConfiguredToken(config)
    if (options.raw) {
      // For scripts: `curl -H "Authorization: Bearer $(airelays token show --raw)"`.
      if (token.token === null) {
        throw new CliError(config.security.require_bearer_auth ? NO_TOKEN_MESSAGE : NO_TOKEN_AUTH_OFF_MESSAGE)
      }
      out.line(token.token)
      return 0
    }
    const missing = token.token === null && config.security.require_bearer_auth
    const payload: TokenShowPayload = {
      bearer_token_present: token.token !== null,
      bearer_token_file: config.security.bearer_token_file,
      bearer_token_source: token.source,
      relay_token: token.token,
      client: clientBlock(config, baseUrl, { relayToken: token.token }),
      next_steps: missing ? ['airelays init', 'airelays token rotate'] : [],
    }
    if (options.json) {
      printJson(out, payload)
      return 0
    }
    out.title('Token')
    out.section('Relay token')
    out.note(token.token ?? 'missing')
    out.field('Source', token.source === 'env' ? 'env (AIRELAYS_BEARER_TOKEN)' : token.source)
    out.field('Token file', config.security.bearer_token_file)
    if (!config.security.require_bearer_auth) out.field('Bearer auth', 'disabled (the token is not required)')
    // The token is printed once, above; the client setup refers to it.
    const { relay_token: _shown, ...client } = payload.client
    printClientSetup(out, client)
    out.steps('Next Steps', payload.next_steps)
    return 0
  }

  const rotated = await rotateRelayToken(config.security.bearer_token_file)
  const envWins = config.security.bearer_token !== null
  const payload: TokenRotatePayload = {
    bearer_token_file: rotated.file,
    bearer_token_source: envWins ? 'env' : 'file',
    relay_token: rotated.token,
    bearer_token_fingerprint: rotated.fingerprint,
    client: clientBlock(config, baseUrl, { relayToken: rotated.token }),
  }
  if (envWins) {
    printWarning(
      term,
      'AIRELAYS_BEARER_TOKEN is set, so it still wins over the new token file; unset it to use the new token.',
    )
  }
  if (options.json) {
    printJson(out, payload)
    return 0
  }
  out.title('Token Rotate')
  out.section('Relay token')
  out.note(rotated.token)
  out.field('Token file', rotated.file)
  out.field('Fingerprint', rotated.fingerprint)
  out.note('A running relay picks up the new token without a restart; the old one stops working.')
  printClientSetup(out, payload.client)
  out.steps('Next Steps', ['Update any clients that still use the old relay token.'])
  return 0
}

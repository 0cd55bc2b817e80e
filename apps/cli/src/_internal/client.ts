import { isIP } from 'node:net'
import type { ResolvedConfig } from '@airelays/config'
import type { Printer } from './output'

type Env = Readonly<Record<string, string | undefined>>

/**
 * The reference's headless rule: an SSH session (`SSH_CONNECTION` or `SSH_TTY`), or Linux without
 * `DISPLAY` and `WAYLAND_DISPLAY`.
 */
export function isHeadless(env: Env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY) return true
  return platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY
}

/** `airelays login --device` on a headless machine, `airelays login` otherwise. */
export function loginHint(env: Env, platform: NodeJS.Platform = process.platform): string {
  return isHeadless(env, platform) ? 'airelays login --device' : 'airelays login'
}

/** `airelays serve --host H --port P`, plus ` --no-auth` when bearer auth is off. */
export function serveCommand(config: ResolvedConfig): string {
  const auth = config.security.require_bearer_auth ? '' : ' --no-auth'
  return `airelays serve --host ${config.server.host} --port ${config.server.port}${auth}`
}

/** `http://host:port` with IPv6 hosts in brackets. */
export function originFor(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '')
  return `http://${isIP(bare) === 6 ? `[${bare}]` : bare}:${port}`
}

/**
 * Where a local client reaches a relay that listens on `host`: the wildcard addresses (`0.0.0.0`,
 * `::`) are not connectable everywhere, so they become the matching loopback address.
 */
export function connectHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === '0.0.0.0' || bare === '') return '127.0.0.1'
  if (bare === '::' || bare === '0:0:0:0:0:0:0:0') return '::1'
  return bare
}

/** The `client` block of init, login, status, token and serve: how to point an OpenAI client here. */
export interface ClientBlock {
  /** `http://host:port/v1`. */
  base_url: string
  /** `http://host:port/v1/models`. */
  models_url: string
  requires_bearer_auth: boolean
  /** With auth: "Authorization: Bearer <AIRelays token>". */
  authorization_header?: string
  /** With auth: the relay token file. */
  token_file?: string
  /** With auth: "airelays token show". */
  reveal_token_command?: string
  /** With auth: "airelays token rotate". */
  rotate_token_command?: string
  /** With auth, only when the command reveals it (a new token, `--show-token`, `token show|rotate`). */
  relay_token?: string | null
  /** Without auth: any placeholder key works, the ChatGPT login is still required. */
  api_key_note?: string
}

const API_KEY_NOTE =
  'Bearer auth is off: any non-empty placeholder works as the API key. The upstream ChatGPT login is still required.'

/**
 * The client block for `baseUrl` (`http://host:port/v1`). `reveal` adds `relay_token` (the
 * token, or null when there is none).
 */
export function clientBlock(
  config: ResolvedConfig,
  baseUrl: string,
  reveal?: { relayToken: string | null },
): ClientBlock {
  const base: ClientBlock = {
    base_url: baseUrl,
    models_url: `${baseUrl}/models`,
    requires_bearer_auth: config.security.require_bearer_auth,
  }
  if (!config.security.require_bearer_auth) return { ...base, api_key_note: API_KEY_NOTE }
  const block: ClientBlock = {
    ...base,
    authorization_header: 'Authorization: Bearer <AIRelays token>',
    token_file: config.security.bearer_token_file,
    reveal_token_command: 'airelays token show',
    rotate_token_command: 'airelays token rotate',
  }
  if (reveal) block.relay_token = reveal.relayToken
  return block
}

/** The "Client Setup" section. */
export function printClientSetup(out: Printer, client: ClientBlock): void {
  out.section('Client Setup')
  out.field('Base URL', client.base_url)
  out.field('Models URL', client.models_url)
  if (!client.requires_bearer_auth) {
    out.field('Bearer auth', 'disabled')
    out.field('API key', 'any non-empty placeholder')
    out.note('The upstream ChatGPT login is still required.')
    return
  }
  out.field('Bearer auth', 'required')
  out.field('Auth header', client.authorization_header)
  out.field('Token file', client.token_file)
  if (client.relay_token !== undefined) out.field('API key', client.relay_token)
  out.field('Reveal token', client.reveal_token_command)
  out.field('Rotate token', client.rotate_token_command)
}

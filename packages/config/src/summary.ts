import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import type { AuthStorageMode, BalanceMode, ResolvedConfig } from './types'

/**
 * The security settings the relay reports (`GET /status` `security`, the `endpoint_security_ready`
 * log record, `airelays status`): bearer auth on or off and every rate and failed-auth limit.
 */
export interface SecuritySettings {
  require_bearer_auth: boolean
  rate_limit_per_minute: number
  rate_limit_burst: number
  concurrent_requests_per_ip: number
  failed_auth_window_seconds: number
  failed_auth_max_attempts: number
  failed_auth_block_seconds: number
  trust_x_forwarded_for: boolean
}

/** The {@link SecuritySettings} of a resolved config, in their reporting order; the one list of them. */
export function securitySettings(config: ResolvedConfig): SecuritySettings {
  const security = config.security
  return {
    require_bearer_auth: security.require_bearer_auth,
    rate_limit_per_minute: security.rate_limit_per_minute,
    rate_limit_burst: security.rate_limit_burst,
    concurrent_requests_per_ip: security.concurrent_requests_per_ip,
    failed_auth_window_seconds: security.failed_auth_window_seconds,
    failed_auth_max_attempts: security.failed_auth_max_attempts,
    failed_auth_block_seconds: security.failed_auth_block_seconds,
    trust_x_forwarded_for: security.trust_x_forwarded_for,
  }
}

/** Facts other packages know, merged into the summary. */
export interface SettingsSummaryExtras {
  /**
   * Relay token state as resolved by @airelays/auth-store (env, memory or file).
   * @default derived from `security.bearer_token` (the environment token): present with source "env"
   *   and its fingerprint, else absent with source null
   */
  bearerToken?: { present: boolean; source: 'env' | 'memory' | 'file' | null; fingerprint: string | null }
  /**
   * Stored Claude token state (the token itself never appears).
   * @default { source: 'none', fingerprint: null }
   */
  claudeOauthToken?: { source: 'file' | 'env' | 'none'; fingerprint: string | null }
}

/** The `relay` object of `airelays status --json`, as in the reference implementation. */
export interface SettingsSummary extends SecuritySettings {
  app_name: 'AIRelays'
  config_path: string
  config_exists: boolean
  host: string
  port: number
  auth_storage_mode: AuthStorageMode
  data_dir: string
  auth_file: string
  logs_dir: string
  browser_open: boolean
  bearer_token_file: string
  bearer_token_present: boolean
  bearer_token_source: 'env' | 'memory' | 'file' | null
  /** First 12 hex characters of the token's sha256, or null. */
  bearer_token_fingerprint: string | null
  auto_generate_bearer_token: boolean
  max_upload_bytes: number
  max_total_upload_bytes: number
  /** `http://<host>:<port>/v1` (IPv6 hosts in brackets). */
  client_base_url: string
  providers: {
    openai: {
      enabled: boolean
      models_cache_ttl_seconds: number
      balance: BalanceMode
      account_cooldown_seconds: number
      retry_attempts: number
      retry_backoff_seconds: number[]
      extra_models: string[]
    }
    claude: {
      enabled: boolean
      bin: string
      timeout_seconds: number
      max_concurrent_requests: number
      strip_api_key_env: boolean
      models: string[]
      oauth_token_source: 'file' | 'env' | 'none'
      oauth_token_fingerprint: string | null
    }
  }
}

/** `http://<host>:<port>/v1`, the base URL clients use. */
function clientBaseUrl(host: string, port: number): string {
  const shown = isIP(host) === 6 ? `[${host}]` : host
  return `http://${shown}:${port}/v1`
}

/**
 * The reference's settings summary (`relay` in status payloads) for a resolved config. Token
 * presence and fingerprints come from `extras` because the token stores own them; secrets never
 * appear in the summary.
 */
export function settingsSummary(config: ResolvedConfig, extras: SettingsSummaryExtras = {}): SettingsSummary {
  const { server, paths, auth, security, uploads } = config
  const { openai, claude } = config.providers
  const envToken = security.bearer_token
  const bearer = extras.bearerToken ?? {
    present: envToken !== null,
    source: envToken === null ? null : ('env' as const),
    fingerprint: envToken === null ? null : createHash('sha256').update(envToken).digest('hex').slice(0, 12),
  }
  const claudeToken = extras.claudeOauthToken ?? { source: 'none' as const, fingerprint: null }
  const { require_bearer_auth, ...limits } = securitySettings(config)
  return {
    app_name: 'AIRelays',
    config_path: config.config_file.path,
    config_exists: config.config_file.exists,
    host: server.host,
    port: server.port,
    auth_storage_mode: auth.storage,
    data_dir: paths.data_dir,
    auth_file: paths.auth_file,
    logs_dir: paths.logs_dir,
    browser_open: auth.browser_open,
    require_bearer_auth,
    bearer_token_file: security.bearer_token_file,
    bearer_token_present: bearer.present,
    bearer_token_source: bearer.source,
    bearer_token_fingerprint: bearer.fingerprint,
    auto_generate_bearer_token: security.auto_generate_bearer_token,
    ...limits,
    max_upload_bytes: uploads.max_upload_bytes,
    max_total_upload_bytes: uploads.max_total_upload_bytes,
    client_base_url: clientBaseUrl(server.host, server.port),
    providers: {
      openai: {
        enabled: openai.enabled,
        models_cache_ttl_seconds: openai.models_cache_ttl_seconds,
        balance: openai.balance,
        account_cooldown_seconds: openai.account_cooldown_seconds,
        retry_attempts: openai.retry_attempts,
        retry_backoff_seconds: [...openai.retry_backoff_seconds],
        extra_models: [...openai.extra_models],
      },
      claude: {
        enabled: claude.enabled,
        bin: claude.bin,
        timeout_seconds: claude.timeout_seconds,
        max_concurrent_requests: claude.max_concurrent_requests,
        strip_api_key_env: claude.strip_api_key_env,
        models: [...claude.models],
        oauth_token_source: claudeToken.source,
        oauth_token_fingerprint: claudeToken.fingerprint,
      },
    },
  }
}

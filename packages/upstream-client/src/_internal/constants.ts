/** Built-in defaults (reference §2 and upstream-protocol §1). */
export const DEFAULT_ISSUER_URL: string = 'https://auth.openai.com'
export const DEFAULT_BASE_URL: string = 'https://chatgpt.com/backend-api/codex'
export const DEFAULT_CLIENT_ID: string = 'app_EMoamEEZ73f0CkXaXp7hrann'
export const DEFAULT_CLIENT_VERSION: string = '0.171.0'
export const DEFAULT_ORIGINATOR: string = 'codex_cli_rs'
export const DEFAULT_REQUEST_TIMEOUT_MS: number = 120_000
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS: number = 600_000
export const DEFAULT_LOGIN_TIMEOUT_SECONDS: number = 900
export const DEFAULT_RETRY_ATTEMPTS: number = 3
export const DEFAULT_BACKOFF_SECONDS: readonly number[] = [5, 20, 60]
export const DEFAULT_MODELS_CACHE_TTL_SECONDS: number = 300
export const OAUTH_TIMEOUT_MS: number = 30_000
export const REVOKE_TIMEOUT_MS: number = 10_000
export const BROWSER_LOGIN_PORT: number = 1455
export const BROWSER_LOGIN_FALLBACK_PORT: number = 1457
export const LOGIN_SCOPE: string = 'openid profile email offline_access'
export const REFRESH_SCOPE: string = 'openid profile email'
/** Refresh when `last_refresh` is older than this (Codex `TOKEN_REFRESH_INTERVAL`). */
export const REFRESH_INTERVAL_MS: number = 8 * 24 * 60 * 60 * 1000
/** Treat an access token as expired this long before its `exp`. */
export const EXPIRY_SKEW_MS: number = 30_000

/** Strip trailing slashes from a base URL. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '')
}

import {
  BROWSER_LOGIN_FALLBACK_PORT,
  BROWSER_LOGIN_PORT,
  DEFAULT_BACKOFF_SECONDS,
  DEFAULT_BASE_URL,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_VERSION,
  DEFAULT_ISSUER_URL,
  DEFAULT_LOGIN_TIMEOUT_SECONDS,
  DEFAULT_MODELS_CACHE_TTL_SECONDS,
  DEFAULT_ORIGINATOR,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
} from './_internal/constants'

/** The built-in defaults of this package (what every option falls back to). */
export interface UpstreamDefaults {
  readonly issuerUrl: string
  readonly baseUrl: string
  readonly clientId: string
  readonly clientVersion: string
  readonly originator: string
  readonly requestTimeoutMs: number
  readonly streamIdleTimeoutMs: number
  readonly loginTimeoutSeconds: number
  readonly retryAttempts: number
  readonly backoffSeconds: readonly number[]
  readonly modelsCacheTtlSeconds: number
  readonly browserLoginPort: number
  readonly browserLoginFallbackPort: number
}

export const upstreamDefaults: UpstreamDefaults = Object.freeze({
  issuerUrl: DEFAULT_ISSUER_URL,
  baseUrl: DEFAULT_BASE_URL,
  clientId: DEFAULT_CLIENT_ID,
  clientVersion: DEFAULT_CLIENT_VERSION,
  originator: DEFAULT_ORIGINATOR,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  streamIdleTimeoutMs: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  loginTimeoutSeconds: DEFAULT_LOGIN_TIMEOUT_SECONDS,
  retryAttempts: DEFAULT_RETRY_ATTEMPTS,
  backoffSeconds: Object.freeze([...DEFAULT_BACKOFF_SECONDS]),
  modelsCacheTtlSeconds: DEFAULT_MODELS_CACHE_TTL_SECONDS,
  browserLoginPort: BROWSER_LOGIN_PORT,
  browserLoginFallbackPort: BROWSER_LOGIN_FALLBACK_PORT,
})

// Options of `createUpstreamClient` (public types only; the client is assembled in ./client).
import type { Dispatcher } from 'undici'
import type { UpstreamHooks } from './hooks'
import type { ProxySettings } from './proxy'
import type { Clock, CredentialStore, Sleep } from './types'

/** Retry settings for failures before the first content event. */
export interface RetryOptions {
  /** Retries after the first call. Env fallback (via @airelays/config): `AIRELAYS_OPENAI_RETRY_ATTEMPTS`. @default 3 */
  attempts?: number
  /** Delays in seconds; the last one repeats. Env fallback (via @airelays/config): `AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS`. @default [5, 20, 60] */
  backoffSeconds?: readonly number[]
  /** Relative jitter applied to each delay (0.2 = ±20 %). @default 0.2 */
  jitter?: number
}

/** Options of `createUpstreamClient`. */
export interface UpstreamClientOptions {
  /** Where credentials are loaded and rotated tokens saved. */
  credentials: CredentialStore
  /** Codex backend base URL (trailing slashes removed). Env fallback (via @airelays/config): `AIRELAYS_UPSTREAM_BASE_URL`. @default 'https://chatgpt.com/backend-api/codex' */
  baseUrl?: string
  /** OAuth issuer base URL. Env fallback (via @airelays/config): `AIRELAYS_ISSUER_BASE_URL`. @default 'https://auth.openai.com' */
  issuerUrl?: string
  /** OAuth client id. Env fallback (via @airelays/config): `AIRELAYS_CLIENT_ID`. @default 'app_EMoamEEZ73f0CkXaXp7hrann' */
  clientId?: string
  /** Codex client version (`version` header, models `client_version`). Env fallback (via @airelays/config): `AIRELAYS_CLIENT_VERSION`. @default '0.171.0' (see `resolveClientVersion` for following an installed Codex CLI) */
  clientVersion?: string
  /** `originator` header. @default 'codex_cli_rs' */
  originator?: string
  /** `User-Agent` header. @default `${originator}/${clientVersion} (airelays)` */
  userAgent?: string
  /** undici dispatcher. @default one `EnvHttpProxyAgent` per client with no per-origin connection cap (closed by `close()`) */
  dispatcher?: Dispatcher
  /** Proxy overrides for the default dispatcher (ignored with `dispatcher`). @default HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment */
  proxy?: ProxySettings
  /**
   * How a client without `dispatcher` sends: `'undici'` (the default dispatcher above) or `'node'`,
   * Node's own http/https client without loading undici, one connection per request, for a
   * short-lived process making a few calls (undici's load costs more than such calls; the
   * `airelays status` command uses it). `'node'` falls back to `'undici'` when a proxy applies
   * (`proxy`, or HTTP_PROXY / HTTPS_PROXY in the environment); ignored with `dispatcher`.
   * @default 'undici'
   */
  transport?: 'undici' | 'node'
  /** Retries before the first content event. @default { attempts: 3, backoffSeconds: [5, 20, 60], jitter: 0.2 } */
  retry?: RetryOptions
  /** Connect and response-header timeout of backend calls, in milliseconds. Env fallback (via @airelays/config): `AIRELAYS_REQUEST_TIMEOUT_SECONDS` × 1000. @default 120000 */
  requestTimeoutMs?: number
  /** Longest silence between two stream events before the call is aborted, in milliseconds (0 disables). Env fallback (via @airelays/config): `AIRELAYS_STREAM_IDLE_TIMEOUT_SECONDS` × 1000. @default 600000 */
  streamIdleTimeoutMs?: number
  /** Models cache lifetime in seconds; 0 disables caching. Env fallback (via @airelays/config): `AIRELAYS_MODELS_CACHE_TTL_SECONDS`. @default 300 */
  modelsCacheTtlSeconds?: number
  /** Epoch-millisecond clock. @default Date.now */
  clock?: Clock
  /** Sleep used between retries; must reject when its signal aborts. @default a timer */
  sleep?: Sleep
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: () => number
  /** Observability taps (requests, responses, retries, refreshes, stream ends). @default none */
  hooks?: UpstreamHooks
  /**
   * What errors tell the user to do when a (new) login is needed, appended to the messages of
   * `auth_missing`, `auth_incomplete`, `auth_rejected` and a permanent `refresh_failed`. A tool
   * embedding this package names its own command here, e.g. 'Run `mytool auth` to sign in.';
   * `''` adds nothing.
   * @default the airelays wording: 'Run `airelays login` first.' / 'Run `airelays login` again.'
   */
  loginHint?: string
}

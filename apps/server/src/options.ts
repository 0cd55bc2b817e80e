import type { ResolvedConfig } from '@airelays/config'
import type { FileStore } from '@airelays/file-inliner'
import type { RateLimiter } from '@airelays/ratelimit'
import type { CredentialStore, UpstreamClient } from '@airelays/upstream-client'
import type { H3Event } from 'h3'
import type { Dispatcher } from 'undici'
import type { HostLookup } from './security/bind-address'

/** Receives operational problems of the relay (log disk failures, unexpected errors). */
export interface RelayLogger {
  warn(message: string): void
  error(message: string): void
}

/**
 * Options of `createRelayApp` (and `serveRelay`). Only `config` is required: every collaborator is
 * built from it unless injected. Nothing is read from `process.env` here; resolve the config with
 * `loadConfig()` from @airelays/config (flags > `AIRELAYS_*` env > legacy env > config.toml > defaults).
 */
export interface RelayOptions {
  /**
   * Resolved settings, e.g. `(await loadConfig()).config` from @airelays/config. When embedded,
   * `config.server.host` tells the relay where its host app listens: on a loopback address
   * (the default `127.0.0.1`) `/v1` requests must carry a loopback `Host` (DNS-rebinding guard);
   * a host app served under another name or address should set it to that address (e.g. `0.0.0.0`).
   */
  config: ResolvedConfig
  /**
   * Relay bearer token given directly (reported as source `memory`). It wins over
   * `config.security.bearer_token` (`AIRELAYS_BEARER_TOKEN`, source `env`), which wins over the
   * token file `config.security.bearer_token_file` (re-read when it changes, so a rotated token
   * applies without a restart).
   * @default null
   */
  relayToken?: string | null
  /**
   * Upstream credential store. @default `credentialStoreFor(createAuthStore({ mode: config.auth.storage,
   * dataDir: config.paths.data_dir }))` from @airelays/auth-store
   */
  credentials?: CredentialStore
  /**
   * Upstream (Codex backend) client. When injected, the relay does not close it.
   * @default `createUpstreamClient(...)` from `config.upstream` / `config.providers.openai`
   */
  upstream?: UpstreamClient
  /** undici dispatcher for the default upstream client. @default the upstream client's own proxy-aware agent */
  dispatcher?: Dispatcher
  /** Upload store. @default `createFileStore({ dataDir: config.paths.data_dir, ...config.uploads })` */
  files?: FileStore
  /** Rate limiter. @default `createRateLimiter(...)` from `config.security` */
  limiter?: RateLimiter
  /** Wall clock in epoch milliseconds (logs, ids, limits, models). @default Date.now */
  clock?: () => number
  /** Where operational problems (log disk failures, unexpected errors) are reported. @default console */
  logger?: RelayLogger
  /**
   * The client address of a request, for the per-client limits and the blocking after repeated bad
   * tokens. The relay finds it itself in h3 and Nitro hosts (srvx's `request.ip`, else the Node
   * socket) and, with `security.trust_x_forwarded_for`, in `X-Forwarded-For`; set this when the
   * host knows better, e.g. behind its own proxy. Return `null`/`undefined` to fall back to the
   * relay's lookup. A request whose address stays unknown (say, a `Request` you built and passed
   * to `relay.fetch`) is limited on its own: it never shares a bucket with other requests.
   * @default undefined (the relay's lookup)
   */
  clientAddress?: (event: H3Event) => string | null | undefined
  /**
   * Resolves a bind host name to every address behind it, once at start: a name whose addresses
   * are all loopback keeps the DNS-rebinding `Host` check on (as `localhost` does).
   * @default `dns.lookup(name, { all: true })`
   */
  lookupHost?: HostLookup
  /** Version shown by `/healthz`, `/` and `/v1/relay/status`. @default this package's version */
  version?: string
  /**
   * How often the relay looks at the data dir for accounts added, removed or reordered (by
   * `airelays login`, `logout`, `accounts order`), in ms. Only without injected `credentials` /
   * `upstream`. @default 10000
   */
  accountsReloadIntervalMs?: number
  /** Largest JSON request body, in bytes; larger bodies get 413. @default 16777216 (16 MiB) */
  maxJsonBodyBytes?: number
  /** Idle time after which a `: keep-alive` comment is written on an open stream, in ms. @default config.server.stream_keepalive_seconds × 1000 (15000) */
  keepAliveIntervalMs?: number
  /**
   * How long a streamed request waits for the upstream's first output before the relay commits the
   * 200 and its SSE headers with a first keep-alive comment, in ms. Until then an upstream failure
   * still becomes a plain HTTP error; after it, an in-band error event. @default 3000
   */
  streamHoldMs?: number
  /**
   * Codex client version sent upstream for `/models` and `/responses`, when it differs from
   * `config.upstream.client_version` (e.g. a newer installed Codex CLI, see `resolveClientVersion`
   * in @airelays/upstream-client). Ignored with an injected `upstream`.
   * @default config.upstream.client_version ("0.171.0")
   */
  clientVersion?: string
  /**
   * The config.toml this relay was started from. When set, `PUT /v1/relay/logging` saves its
   * changes there (in place, keeping comments, via `updateConfig` from @airelays/config) and
   * answers `persistent: true`; without it the changes last until the relay stops. `airelays serve`
   * passes `config.config_file.path`.
   * @default null
   */
  configFile?: string | null
  /** Write the traffic log under `config.paths.logs_dir`. @default true */
  trafficLog?: boolean
  /**
   * For embedded use (`createRelayApp` in a host app): aborting it ends open streams with an
   * in-band error event, flushes and closes the traffic log and closes the default upstream
   * client. `serveRelay` does this itself on `close()`.
   * @default undefined
   */
  signal?: AbortSignal
}

/** Options of `serveRelay`: the app options plus the listener. */
export interface ServeRelayOptions extends RelayOptions {
  /**
   * Interface to listen on. On a loopback address (`127.0.0.1`, `::1`, `localhost`) the relay
   * also refuses requests whose `Host` is not a loopback name (DNS rebinding); on any other address
   * it does not check `Host`.
   * @default config.server.host ("127.0.0.1")
   */
  host?: string
  /** Port; 0 picks a free one. @default config.server.port (8080) */
  port?: number
  /**
   * Handle SIGTERM and SIGINT: the first starts a graceful shutdown, a second one forces it.
   * The listeners are removed when the server closes.
   * @default false
   */
  handleSignals?: boolean
  /**
   * How long in-flight requests (streams included) may run after shutdown starts, in ms. Then open
   * streams end with an in-band error event, their upstream calls are aborted and sockets closed.
   * @default 10000
   */
  shutdownGraceMs?: number
  /**
   * Longest time a client may take to send one whole request (headers and body), in ms. A client
   * that is slower (for example one that trickles its body) gets a 408 envelope and its connection
   * is closed, so it cannot hold a connection and a concurrency slot forever. Only receiving the
   * request counts: a response stream may run as long as it needs. 0 disables the limit.
   * @default 300000 (5 minutes)
   */
  requestTimeoutMs?: number
  /**
   * Longest time a client may take to send the request headers, in ms; capped at
   * `requestTimeoutMs` when that is not 0. 0 disables the limit.
   * @default 60000
   */
  headersTimeoutMs?: number
}

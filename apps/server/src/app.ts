import { chmodSync, statSync } from 'node:fs'
import { createAuthStore, credentialStoreFor, tokenFingerprint } from '@airelays/auth-store'
import { type ResolvedConfig, securitySettings } from '@airelays/config'
import { createFileStore, type FileStore } from '@airelays/file-inliner'
import {
  createAddressMatcher,
  createRateLimiter,
  type ForwardedForOptions,
  type RateLimiter,
} from '@airelays/ratelimit'
import { type CredentialStore, createUpstreamClient, type UpstreamClient } from '@airelays/upstream-client'
import { H3 } from 'h3'
import { shuttingDown } from './errors/factories'
import { SecretSet } from './logging/redact'
import { TrafficLog } from './logging/traffic-log'
import { upstreamHooks } from './logging/upstream-hooks'
import type { RelayLogger, RelayOptions } from './options'
import { relayCore } from './request/core'
import { Lifecycle } from './request/lifecycle'
import { registerRoutes } from './routes'
import type { RelayRuntime } from './runtime'
import { type BindJudgement, judgeBind } from './security/bind-address'
import { createRelayAccounts, type RelayAccounts } from './stores/accounts'
import { ConversationStore } from './stores/conversations'
import { cachingCredentials, scrubbingCredentials } from './stores/credentials'
import { ResponseStore } from './stores/responses'
import { createTokenReader, type TokenReader } from './stores/token-reader'
import { RELAY_VERSION } from './version'

/** A relay app plus the handles `serveRelay` needs for graceful shutdown. */
export interface BuiltRelay {
  app: H3
  runtime: RelayRuntime
  /** Flush the traffic log and release what the relay created (the default upstream client). */
  close(): Promise<void>
}

/** What only `serveRelay` decides when it builds the relay. */
export interface BuildRelayInternals {
  /** See `RelaySettings.nodeResponses`. */
  nodeResponses?: boolean
  /** The bind host as `serveRelay` judged it before listening. @default judged from `config.server.host` */
  bind?: Promise<BindJudgement>
}

const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024
const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024
const DEFAULT_MAX_LOG_BYTES = 1024 * 1024 * 1024
const DEFAULT_MAX_CONVERSATION_BYTES = 64 * 1024 * 1024
const DEFAULT_STREAM_HOLD_MS = 3000
/** How long the traffic log waits at most for the first credentials read before writing. */
const SECRETS_READY_MAX_MS = 5000

const consoleLogger: RelayLogger = {
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    const done = (): void => {
      clearTimeout(timer)
      resolve()
    }
    promise.then(done, done)
  })
}

/**
 * Narrows the relay's own directories (data, logs, uploads, staging) to 0700 when they already
 * exist with a wider mode (created by hand, an older release or another tool: issue 26, item 9).
 * Only directories owned by this user are touched; failures are ignored.
 */
function narrowPrivateDirs(config: ResolvedConfig): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1
  const { data_dir, logs_dir, uploads_dir, tmp_dir } = config.paths
  for (const dir of [data_dir, logs_dir, uploads_dir, tmp_dir]) {
    try {
      const info = statSync(dir)
      if (info.isDirectory() && (info.mode & 0o077) !== 0 && (uid === -1 || info.uid === uid))
        chmodSync(dir, 0o700)
    } catch {
      // missing (created 0700 later) or not ours
    }
  }
}

/** How the client address is read from X-Forwarded-For, or null when the header is not trusted. */
function forwardedForOptions(config: ResolvedConfig): ForwardedForOptions | null {
  const security = config.security
  if (!security.trust_x_forwarded_for) return null
  const proxies = security.trusted_proxies ?? []
  return proxies.length > 0
    ? { trustedProxies: createAddressMatcher(proxies) }
    : { trustedProxyCount: security.trusted_proxy_count ?? 1 }
}

/** The logging side: the scrubber, the credentials it learns from, the traffic log, the relay token. */
function buildLogging(
  options: RelayOptions,
  context: { now: () => number; logger: RelayLogger },
): {
  secrets: SecretSet
  credentials: CredentialStore
  log: TrafficLog
  tokens: TokenReader
  /** Hand over the first read of every account slot (the scrubber learns their tokens from it). */
  accountsRead: (read: Promise<unknown>) => void
} {
  const { config } = options
  const { now, logger } = context
  const secrets = new SecretSet()
  let accountsRead: (read: Promise<unknown>) => void = () => {}
  const accountsReady =
    options.credentials || options.upstream
      ? Promise.resolve()
      : new Promise<unknown>((resolve) => {
          accountsRead = resolve
        })
  const credentials = scrubbingCredentials(
    options.credentials ??
      cachingCredentials(
        credentialStoreFor(createAuthStore({ mode: config.auth.storage, dataDir: config.paths.data_dir })),
        config.paths.auth_file,
      ),
    secrets,
  )
  const logsDir = options.trafficLog === false ? null : config.paths.logs_dir
  const log = new TrafficLog({
    dir: logsDir,
    retentionDays: config.logging.retention_days,
    maxRecordBytes: config.logging.max_request_log_bytes ?? DEFAULT_MAX_RECORD_BYTES,
    maxTotalBytes: config.logging.max_total_bytes ?? DEFAULT_MAX_LOG_BYTES,
    secrets,
    now,
    logger,
    // The first records (a prompt may quote the upstream tokens) wait until the scrubber knows them.
    ...(logsDir === null
      ? {}
      : {
          secretsReady: settleWithin(Promise.all([credentials.load(), accountsReady]), SECRETS_READY_MAX_MS),
        }),
  })
  const tokens = createTokenReader({
    inline: options.relayToken ?? config.security.bearer_token ?? null,
    inlineSource: options.relayToken ? 'memory' : 'env',
    file: config.security.bearer_token_file,
    onToken: (token) => secrets.add(token, 'relay'),
    onError: (error) =>
      logger.warn(
        `AIRelays cannot read the relay token file ${config.security.bearer_token_file} (${error instanceof Error ? error.message : String(error)}); every /v1 request gets 401 until it is readable.`,
      ),
  })
  return { secrets, credentials, log, tokens, accountsRead }
}

/** The upstream client, upload store and limiter: injected, or built from the config. */
function buildCollaborators(
  options: RelayOptions,
  context: {
    now: () => number
    credentials: CredentialStore
    log: TrafficLog
    secrets: SecretSet
    modelsWaiters: string[]
  },
): { upstream: UpstreamClient; accounts: RelayAccounts | null; files: FileStore; limiter: RateLimiter } {
  const { config } = options
  const { now } = context
  const openai = config.providers.openai
  // Without an injected client or credentials the relay serves every signed-in account of the
  // data dir (one, or several in a pool).
  const accounts =
    options.upstream || options.credentials
      ? null
      : createRelayAccounts({
          config,
          now,
          log: context.log,
          secrets: context.secrets,
          modelsWaiters: context.modelsWaiters,
          clientVersion: options.clientVersion ?? config.upstream.client_version,
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
          ...(options.accountsReloadIntervalMs === undefined
            ? {}
            : { reloadIntervalMs: options.accountsReloadIntervalMs }),
        })
  const upstream =
    options.upstream ??
    accounts?.client ??
    createUpstreamClient({
      credentials: context.credentials,
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: options.clientVersion ?? config.upstream.client_version,
      requestTimeoutMs: config.upstream.request_timeout_seconds * 1000,
      streamIdleTimeoutMs: config.upstream.stream_idle_timeout_seconds * 1000,
      modelsCacheTtlSeconds: openai.models_cache_ttl_seconds,
      retry: { attempts: openai.retry_attempts, backoffSeconds: openai.retry_backoff_seconds },
      clock: now,
      hooks: upstreamHooks(context.log, context.modelsWaiters),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    })
  const files =
    options.files ??
    createFileStore({
      dataDir: config.paths.data_dir,
      maxUploadBytes: config.uploads.max_upload_bytes,
      maxTotalUploadBytes: config.uploads.max_total_upload_bytes,
      clock: now,
    })
  const limiter =
    options.limiter ??
    createRateLimiter({
      perMinute: config.security.rate_limit_per_minute,
      burst: config.security.rate_limit_burst,
      maxConcurrent: config.security.concurrent_requests_per_ip,
      failedAuthMaxAttempts: config.security.failed_auth_max_attempts,
      failedAuthWindowSeconds: config.security.failed_auth_window_seconds,
      failedAuthBlockSeconds: config.security.failed_auth_block_seconds,
      clock: now,
    })
  return { upstream, accounts, files, limiter }
}

/** The `endpoint_security_ready` startup record (once the relay token has been read). */
function logSecurityReady(rt: RelayRuntime, config: ResolvedConfig): void {
  const { require_bearer_auth, ...limits } = securitySettings(config)
  void rt.tokens.current().then((token) =>
    rt.log.write('startup', 'endpoint_security_ready', {
      require_bearer_auth,
      bearer_token_present: token.token !== null,
      bearer_token_source: token.source,
      bearer_token_fingerprint: token.token === null ? null : tokenFingerprint(token.token),
      ...limits,
    }),
  )
}

/**
 * The composition root: builds the runtime (stores, log, upstream client, limiter) from the
 * options, and the h3 app (relay core middleware, then the routes). `createRelayApp` returns only
 * the app; `serveRelay` also uses the runtime for graceful shutdown.
 */
export function buildRelay(options: RelayOptions, internals: BuildRelayInternals = {}): BuiltRelay {
  const { config } = options
  if (!config || typeof config !== 'object' || !config.paths || !config.security) {
    throw new TypeError(
      'createRelayApp: `config` must be a ResolvedConfig (see loadConfig() in @airelays/config).',
    )
  }
  const now = options.clock ?? Date.now
  const logger = options.logger ?? consoleLogger
  narrowPrivateDirs(config)
  const { secrets, credentials, log, tokens, accountsRead } = buildLogging(options, { now, logger })
  const modelsWaiters: string[] = []
  const { upstream, accounts, files, limiter } = buildCollaborators(options, {
    now,
    credentials,
    log,
    secrets,
    modelsWaiters,
  })
  const runtime: RelayRuntime = {
    settings: {
      config,
      maxJsonBodyBytes: options.maxJsonBodyBytes ?? DEFAULT_MAX_JSON_BYTES,
      clientAddress: options.clientAddress,
      configFile: options.configFile ?? null,
      keepAliveMs: options.keepAliveIntervalMs ?? config.server.stream_keepalive_seconds * 1000,
      streamHoldMs: options.streamHoldMs ?? DEFAULT_STREAM_HOLD_MS,
      nodeResponses: internals.nodeResponses === true,
    },
    version: options.version ?? RELAY_VERSION,
    now,
    logger,
    log,
    secrets,
    tokens,
    limiter,
    upstream,
    accounts,
    files,
    conversations: new ConversationStore(
      config.paths.data_dir,
      () => Math.floor(now() / 1000),
      config.uploads.max_conversation_bytes ?? DEFAULT_MAX_CONVERSATION_BYTES,
    ),
    responses: new ResponseStore(config.paths.data_dir, () => Math.floor(now() / 1000)),
    forwardedFor: forwardedForOptions(config),
    bind: internals.bind ?? judgeBind(config.server.host, options.lookupHost),
    lifecycle: new Lifecycle(),
    modelsWaiters,
    requestsTotal: 0,
  }
  log.startRetention()
  logSecurityReady(runtime, config)
  if (accounts) accountsRead(accounts.start())

  const app = new H3({ allowMalformedURL: true })
  app.use(relayCore(runtime, app))
  const routes = registerRoutes(app, runtime)

  const ownsUpstream = !options.upstream
  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await routes.close().catch(() => {})
      if (accounts) await accounts.close().catch(() => {})
      await runtime.responses.close().catch(() => {})
      await log.close()
      if (ownsUpstream && !accounts) await upstream.close().catch(() => {})
    })()
    return closing
  }
  const signal = options.signal
  if (signal) {
    const onAbort = (): void => {
      runtime.lifecycle.beginDrain()
      runtime.lifecycle.terminateAll(shuttingDown())
      void close()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  }
  return { app, runtime, close }
}

/**
 * Create the AIRelays relay as an h3 app: no listener, no global state. Mount it in a host app
 * (`host.mount('/ai', createRelayApp(opts))`), use `app.fetch` as a Nitro server entry, or serve
 * it with `serveRelay()`.
 *
 * @example
 * const { config } = await loadConfig()
 * const app = createRelayApp({ config })
 * const res = await app.request('/healthz')
 */
export function createRelayApp(options: RelayOptions): H3 {
  return buildRelay(options).app
}

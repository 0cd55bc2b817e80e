import { performance } from 'node:perf_hooks'
import { createAuthStore, credentialStoreFor, tokenFingerprint } from '@airelays/auth-store'
import { securitySettings } from '@airelays/config'
import { createFileStore } from '@airelays/file-inliner'
import { createRateLimiter } from '@airelays/ratelimit'
import { createUpstreamClient, type UpstreamHooks } from '@airelays/upstream-client'
import { H3, type H3Event, toResponse } from 'h3'
import { ConversationStore } from './_internal/conversations'
import { cachingCredentials, scrubbingCredentials } from './_internal/credentials'
import { type RequestState, setState, shuttingDownError } from './_internal/context'
import { requestIdFor } from './_internal/ids'
import { SecretSet } from './_internal/redact'
import { errorResponse, logInbound } from './_internal/respond'
import { RouteTable } from './_internal/routes'
import { Lifecycle, type RelayRuntime, type RelaySettings } from './_internal/runtime'
import { securityGate } from './_internal/security'
import { createTokenReader } from './_internal/token-reader'
import { type RelayLogger, TrafficLog } from './_internal/traffic-log'
import { finishRequest } from './_internal/finish'
import { RelayError } from './errors'
import type { RelayOptions } from './options'
import { registerApiRoutes, registerPublicRoutes } from './routes'
import { RELAY_VERSION } from './version'

/** A relay app plus the handles `serveRelay` needs for graceful shutdown. */
export interface BuiltRelay {
  app: H3
  runtime: RelayRuntime
  /** Flush the traffic log and release what the relay created (the default upstream client). */
  close(): Promise<void>
}

const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024
const DEFAULT_KEEP_ALIVE_MS = 15_000
const MONITORING_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/v1/relay/status',
  '/v1/subscription/status',
  '/v1/account/rate_limits',
  '/no-tools/v1/relay/status',
  '/no-tools/v1/subscription/status',
  '/no-tools/v1/account/rate_limits',
])
const NOT_FOUND = Symbol.for('h3.notFound')

const consoleLogger: RelayLogger = {
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
}

/** How long the traffic log waits at most for the first credentials read before writing. */
const SECRETS_READY_MAX_MS = 5000

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

function isApiPath(path: string): boolean {
  return (
    path === '/v1' || path.startsWith('/v1/') || path === '/no-tools/v1' || path.startsWith('/no-tools/v1/')
  )
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

function upstreamHooks(log: TrafficLog, modelsWaiters: readonly string[]): UpstreamHooks {
  // Calls without a request id of their own: usage calls only serve the monitoring routes, which
  // are never logged; models calls are attributed to the oldest request waiting for the catalog.
  const USAGE_URL = /\/usage(?:\?|$)/
  const write = (
    requestId: string | null,
    url: string | null,
    phase: string,
    fields: Record<string, unknown>,
  ): void => {
    if (requestId === null && url !== null && USAGE_URL.test(url)) return
    log.write(requestId ?? modelsWaiters[0] ?? 'upstream', phase, fields)
  }
  return {
    onRequest: (info) =>
      write(info.requestId, info.url, 'upstream_request', {
        method: info.method,
        url: info.url,
        attempt: info.attempt,
        session_id: info.sessionId,
      }),
    onResponse: (info) =>
      write(info.requestId, info.url, info.status >= 400 ? 'upstream_response_error' : 'upstream_response', {
        method: info.method,
        url: info.url,
        attempt: info.attempt,
        status_code: info.status,
        headers: info.headers,
        duration_ms: Math.round(info.durationMs * 100) / 100,
      }),
    onRetry: (info) =>
      write(info.requestId, null, 'retry_backoff', {
        attempt: info.attempt,
        max_attempts: info.maxAttempts,
        delay_seconds: info.delaySeconds,
        status_code: info.status,
        reason: info.reason,
      }),
    onRetrySkipped: (info) =>
      write(info.requestId, null, 'retry_skipped', {
        reason: info.reason,
        attempt: info.attempt,
        status_code: info.status,
        resets_in_seconds: info.resetsInSeconds,
      }),
    onRefresh: (info) =>
      log.write('upstream-auth', 'upstream_auth_refresh', {
        reason: info.reason,
        outcome: info.outcome,
        error: info.error ? { code: info.error.code, message: info.error.message } : null,
      }),
    onStreamEnd: (info) => {
      const ok = info.status === 'completed' || info.status === 'incomplete'
      write(info.requestId, null, ok ? 'upstream_usage' : 'upstream_stream_error', {
        status: info.status,
        response_id: info.responseId,
        events: info.events,
        usage: info.usage,
        ...(info.error
          ? { error: info.error.upstreamError ?? { code: info.error.code, message: info.error.message } }
          : {}),
      })
    },
  }
}

/**
 * Builds the relay app and its runtime. `createRelayApp` returns only the app; `serveRelay` also
 * uses the runtime for graceful shutdown.
 */
/** What only `serveRelay` decides when it builds the relay. */
export interface BuildRelayInternals {
  /** See {@link RelaySettings.nodeResponses}. */
  nodeResponses?: boolean
}

export function buildRelay(options: RelayOptions, internals: BuildRelayInternals = {}): BuiltRelay {
  const { config } = options
  if (!config || typeof config !== 'object' || !config.paths || !config.security) {
    throw new TypeError(
      'createRelayApp: `config` must be a ResolvedConfig (see loadConfig() in @airelays/config).',
    )
  }
  const now = options.clock ?? Date.now
  const logger = options.logger ?? consoleLogger
  const secrets = new SecretSet()
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
    secrets,
    now,
    logger,
    // The first records (a prompt may quote the upstream tokens) wait until the scrubber knows them.
    ...(logsDir === null ? {} : { secretsReady: settleWithin(credentials.load(), SECRETS_READY_MAX_MS) }),
  })
  const inlineToken = options.relayToken ?? config.security.bearer_token ?? null
  const tokens = createTokenReader({
    inline: inlineToken,
    inlineSource: options.relayToken ? 'memory' : 'env',
    file: config.security.bearer_token_file,
    now: () => performance.now(),
    onToken: (token) => secrets.add(token),
    onError: (error) =>
      logger.warn(
        `AIRelays cannot read the relay token file ${config.security.bearer_token_file} (${error instanceof Error ? error.message : String(error)}); every /v1 request gets 401 until it is readable.`,
      ),
  })
  const modelsWaiters: string[] = []
  const ownsUpstream = !options.upstream
  const openai = config.providers.openai
  const upstream =
    options.upstream ??
    createUpstreamClient({
      credentials,
      baseUrl: config.upstream.base_url,
      issuerUrl: config.upstream.issuer_base_url,
      clientId: config.upstream.client_id,
      clientVersion: config.upstream.client_version,
      requestTimeoutMs: config.upstream.request_timeout_seconds * 1000,
      modelsCacheTtlSeconds: openai.models_cache_ttl_seconds,
      retry: { attempts: openai.retry_attempts, backoffSeconds: openai.retry_backoff_seconds },
      clock: now,
      hooks: upstreamHooks(log, modelsWaiters),
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
  const runtime: RelayRuntime = {
    settings: {
      config,
      maxJsonBodyBytes: options.maxJsonBodyBytes ?? DEFAULT_MAX_JSON_BYTES,
      keepAliveMs: options.keepAliveIntervalMs ?? DEFAULT_KEEP_ALIVE_MS,
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
    files,
    conversations: new ConversationStore(config.paths.data_dir, () => Math.floor(now() / 1000)),
    lifecycle: new Lifecycle(),
    modelsWaiters,
    requestsTotal: 0,
  }
  log.startRetention()
  void tokens.current().then((token) => {
    const { require_bearer_auth, ...limits } = securitySettings(config)
    log.write('startup', 'endpoint_security_ready', {
      require_bearer_auth,
      bearer_token_present: token.token !== null,
      bearer_token_source: token.source,
      bearer_token_fingerprint: token.token === null ? null : tokenFingerprint(token.token),
      ...limits,
    })
  })

  const app = new H3({ allowMalformedURL: true })
  const routes = new RouteTable()
  app.use(relayCore(runtime))
  registerPublicRoutes(app, routes, runtime)
  for (const prefix of ['/v1', '/no-tools/v1'] as const) registerApiRoutes(app, routes, runtime, prefix)
  app.all('/**', (event) => {
    const allowed = routes.methodsFor(stateOfPath(event))
    if (allowed.length > 0) {
      throw new RelayError({
        status: 405,
        type: 'invalid_request_error',
        code: 'method_not_allowed',
        message: `Method ${event.req.method} is not allowed on this route. Allowed: ${allowed.join(', ')}.`,
        headers: { allow: allowed.join(', ') },
      })
    }
    throw new RelayError({
      status: 404,
      type: 'invalid_request_error',
      code: 'not_found',
      message: `Unknown route: ${event.req.method} ${stateOfPath(event)}.`,
    })
  })

  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await log.close()
      if (ownsUpstream) await upstream.close().catch(() => {})
    })()
    return closing
  }
  const signal = options.signal
  if (signal) {
    const onAbort = (): void => {
      runtime.lifecycle.beginDrain()
      runtime.lifecycle.terminateAll(shuttingDownError())
      void close()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  }
  return { app, runtime, close }
}

function stateOfPath(event: H3Event): string {
  const state = (event.context as Record<string, unknown>).airelays as RequestState | undefined
  return state?.path ?? event.url.pathname
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

/** The first middleware: request id, state, security, error envelope, `x-request-id` on everything. */
function relayCore(rt: RelayRuntime) {
  return async (event: H3Event, next: () => unknown): Promise<Response> => {
    const path = event.url.pathname
    const fullPath = originalPath(event)
    const basePath = fullPath.endsWith(path)
      ? fullPath.slice(0, fullPath.length - path.length)
      : path === '/' && fullPath.startsWith('/')
        ? fullPath
        : ''
    const trusted = rt.settings.config.security.trust_x_forwarded_for
    const state: RequestState = {
      id: requestIdFor(event.req.headers.get('x-request-id')),
      startedAt: rt.now(),
      method: event.req.method,
      path,
      basePath,
      clientIp: clientIp(event, trusted),
      logged: !MONITORING_PATHS.has(trimSlash(path)),
      abort: new AbortController(),
      inboundLogged: false,
      deferred: false,
      finished: false,
      release: null,
      admitted: false,
      skipInbound: false,
      outboundBody: undefined,
      outboundExtra: {},
      headers: {},
    }
    setState(event, state)
    rt.lifecycle.add(state)
    const stopWatching = watchClient(event, state)
    let response: Response
    try {
      if (rt.lifecycle.draining) throw shuttingDownError()
      if (missingHost(event)) {
        throw new RelayError({
          status: 400,
          type: 'invalid_request_error',
          code: 'missing_host',
          message: 'HTTP/1.1 requests must carry a Host header.',
        })
      }
      if (isMalformed(path)) {
        throw new RelayError({
          status: 400,
          type: 'invalid_request_error',
          code: 'invalid_request',
          message: 'The request path is not a valid URL path.',
        })
      }
      if (isApiPath(path)) await securityGate(rt, event, state)
      state.admitted = true
      if (state.method === 'GET' || state.method === 'HEAD' || state.method === 'DELETE') {
        logInbound(rt, event, state, null)
      }
      const value = await next()
      if (value === NOT_FOUND || value === undefined)
        throw new RelayError({
          status: 404,
          type: 'invalid_request_error',
          code: 'not_found',
          message: `Unknown route: ${state.method} ${path}.`,
        })
      if (value instanceof Error) throw value
      response = value instanceof Response ? value : await toResponse(value, event)
    } catch (error) {
      if (state.admitted && !state.skipInbound) logInbound(rt, event, state, null)
      response = errorResponse(rt, state, error)
    }
    const headers = response.headers
    headers.set('x-request-id', state.id)
    for (const [name, value] of Object.entries(state.headers)) headers.set(name, value)
    if (rt.lifecycle.draining) headers.set('connection', 'close')
    stopWatching()
    if (!state.deferred) finishRequest(rt, state, response.status)
    return response
  }
}

/**
 * Aborts `state.abort` when the client goes away before the answer is complete; returns the
 * function that stops watching. Under Node the response's `close` event is watched directly
 * (what srvx's `request.signal` does, without building that signal for every request).
 */
function watchClient(event: H3Event, state: RequestState): () => void {
  const node = event.runtime?.node as
    | { req?: { errored?: unknown }; res?: NodeJS.EventEmitter & { writableEnded?: boolean } }
    | undefined
  const res = node?.res
  if (res && typeof res.once === 'function') {
    const onClose = (): void => {
      if (res.writableEnded || state.abort.signal.aborted) return
      const error = node?.req?.errored
      state.abort.abort(error ?? undefined)
    }
    res.once('close', onClose)
    return () => res.off('close', onClose)
  }
  const signal = (event.req as { signal?: AbortSignal }).signal
  if (!signal) return () => {}
  const onAbort = (): void => {
    if (!state.abort.signal.aborted) state.abort.abort(signal.reason)
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * The request path before any mount prefix was stripped. Under srvx's Node adapter `event.req.url`
 * shares its URL object with `event.url`, which h3 rewrites for mounted apps, so the raw Node
 * request line is preferred.
 */
function originalPath(event: H3Event): string {
  const raw = (event.runtime?.node?.req as { url?: string } | undefined)?.url
  if (typeof raw === 'string' && raw.startsWith('/')) {
    const end = raw.search(/[?#]/)
    return end === -1 ? raw : raw.slice(0, end)
  }
  return new URL(event.req.url).pathname
}

/** An HTTP/1.1 request without a Host header (Node's own check is off so the answer is an envelope). */
function missingHost(event: H3Event): boolean {
  const req = (
    event.runtime?.node as { req?: { httpVersion?: string; headers?: Record<string, unknown> } } | undefined
  )?.req
  return req?.httpVersion === '1.1' && !req.headers?.host
}

function isMalformed(path: string): boolean {
  if (!path.includes('%')) return false
  try {
    decodeURIComponent(path)
    return false
  } catch {
    return true
  }
}

/** The socket peer, or the first X-Forwarded-For entry when trusted, else "unknown". */
function clientIp(event: H3Event, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const forwarded = event.req.headers.get('x-forwarded-for')
    const first = forwarded?.split(',')[0]?.trim()
    if (first) return first
  }
  const ip = (event.req as { ip?: string }).ip
  return ip && ip.length > 0 ? ip : 'unknown'
}

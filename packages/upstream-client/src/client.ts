import { performance } from 'node:perf_hooks'
import { type Dispatcher, request } from 'undici'
import {
  DEFAULT_BACKOFF_SECONDS,
  DEFAULT_BASE_URL,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_VERSION,
  DEFAULT_ISSUER_URL,
  DEFAULT_MODELS_CACHE_TTL_SECONDS,
  DEFAULT_ORIGINATOR,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  REVOKE_TIMEOUT_MS,
  trimBaseUrl,
} from './_internal/constants'
import {
  type ProxySettings,
  abortedError,
  createDefaultDispatcher,
  errorFromHttpResponse,
  errorFromStreamEvent,
  errorFromTransport,
  headersToRecord,
  parseJsonSafe,
  raceSignal,
  readBodyText,
} from './_internal/http'
import { type RevokeResult, revokeTokens } from './_internal/oauth'
import {
  isRetriable,
  remainingBudget,
  resolveRetryPolicy,
  scheduleDelay,
  withJitter,
} from './_internal/retry'
import { defaultSleep } from './_internal/sleep'
import {
  EventPump,
  type ResponsesStream,
  STREAM_EMPTY_MESSAGE,
  STREAM_INCOMPLETE_MESSAGE,
  type StreamEndInfo,
  UpstreamResponsesStream,
  isFailureEvent,
} from './_internal/stream'
import {
  type ReadyAuth,
  type RefreshEvent,
  TokenManager,
  effectiveAccountId,
  normalizeStoredAuth,
} from './_internal/tokens'
import { UpstreamError, isRecord, isUpstreamError } from './errors'
import { decodeJwtClaims } from './jwt'
import { type UsageSnapshot, normalizeUsage } from './usage'
import type { Clock, CredentialStore, ResponsesEvent, Sleep, StoredAuth } from './types'

/** Retry settings for failures before the first content event. */
export interface RetryOptions {
  /** Retries after the first call. Env fallback (via @airelays/config): `AIRELAYS_OPENAI_RETRY_ATTEMPTS`. @default 3 */
  attempts?: number
  /** Delays in seconds; the last one repeats. Env fallback (via @airelays/config): `AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS`. @default [5, 20, 60] */
  backoffSeconds?: readonly number[]
  /** Relative jitter applied to each delay (0.2 = ±20 %). @default 0.2 */
  jitter?: number
}

/** Observability taps (the relay's traffic log). Hooks must not throw; exceptions are swallowed. */
export interface UpstreamHooks {
  /** Before every upstream HTTP call (each retry included). */
  onRequest?(info: {
    method: string
    url: string
    attempt: number
    requestId: string | null
    sessionId: string | null
  }): void
  /** When the upstream's response headers arrive. */
  onResponse?(info: {
    method: string
    url: string
    attempt: number
    requestId: string | null
    status: number
    headers: Record<string, string>
    durationMs: number
  }): void
  /** Before sleeping for a retry (reference `retry_backoff`). */
  onRetry?(info: {
    attempt: number
    maxAttempts: number
    delaySeconds: number
    status: number | null
    /** The failure message, at most 500 characters. */
    reason: string
    requestId: string | null
  }): void
  /** When a retry is not made (reference `retry_skipped`). */
  onRetrySkipped?(info: {
    reason: 'quota_resets_beyond_backoff' | 'retry_after_beyond_backoff' | 'client_disconnected'
    attempt: number
    status: number | null
    resetsInSeconds: number | null
    requestId: string | null
  }): void
  /** After every refresh decision (issuer refresh, reload from the store, failure). */
  onRefresh?(info: RefreshEvent): void
  /** Once per stream returned by `responses()`. */
  onStreamEnd?(info: StreamEndInfo): void
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
  /** Codex client version (`version` header, models `client_version`). Env fallback (via @airelays/config): `AIRELAYS_CLIENT_VERSION`. @default '0.124.0' */
  clientVersion?: string
  /** `originator` header. @default 'codex_cli_rs' */
  originator?: string
  /** `User-Agent` header. @default `${originator}/${clientVersion} (airelays)` */
  userAgent?: string
  /** undici dispatcher. @default one `EnvHttpProxyAgent` per client with no per-origin connection cap (closed by `close()`) */
  dispatcher?: Dispatcher
  /** Proxy overrides for the default dispatcher (ignored with `dispatcher`). @default HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment */
  proxy?: ProxySettings
  /** Retries before the first content event. @default { attempts: 3, backoffSeconds: [5, 20, 60], jitter: 0.2 } */
  retry?: RetryOptions
  /** Connect and response-header timeout of backend calls, in milliseconds. Env fallback (via @airelays/config): `AIRELAYS_REQUEST_TIMEOUT_SECONDS` × 1000. @default 120000 */
  requestTimeoutMs?: number
  /** Longest silence between two stream events before the call is aborted, in milliseconds (0 disables). @default 300000 */
  streamIdleTimeoutMs?: number
  /** Models cache lifetime in seconds; 0 disables caching. Env fallback (via @airelays/config): `AIRELAYS_MODELS_CACHE_TTL_SECONDS`. @default 300 */
  modelsCacheTtlSeconds?: number
  /** Epoch-millisecond clock. @default Date.now */
  clock?: Clock
  /** Sleep used between retries; must reject when its signal aborts. @default a timer */
  sleep?: Sleep
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: () => number
  hooks?: UpstreamHooks
}

/** Per-call options of `responses()`. */
export interface ResponsesCallOptions {
  /** Abort the call (client disconnected): cancels waits, in-flight calls and the stream. */
  signal?: AbortSignal
  /** Conversation id: sent as `session_id` and used as `prompt_cache_key` when the body has none. @default body.prompt_cache_key */
  sessionId?: string | null
  /** The caller's request id, passed to hooks. */
  requestId?: string | null
}

/** Per-call options of `models()` / `usage()`. */
export interface CallOptions {
  signal?: AbortSignal
}

/** A catalog entry from `GET {baseUrl}/models` (extra upstream fields kept). */
export interface UpstreamModel {
  slug: string
  display_name?: string
  visibility?: string
  priority?: number
  supported_reasoning_levels?: Array<{ effort: string; description?: string }>
  [field: string]: unknown
}

/** State of the models cache (for status pages). */
export interface ModelsCacheStatus {
  enabled: boolean
  ttl_seconds: number
  state: 'fresh' | 'expired' | 'empty' | 'disabled'
  age_seconds: number | null
  expires_in_seconds: number | null
  cached_model_count: number
}

/** Login readiness read from the credential store (no network). */
export interface LoginStatus {
  /** The store holds something (even unusable). */
  credentials_present: boolean
  /** Tokens with an access or refresh token exist. */
  authenticated: boolean
  account_bound: boolean
  /** Authenticated, an account id is known, and it matches `bound_account_id` when one is set. */
  ready_for_requests: boolean
  email: string | null
  plan_type: string | null
  account_id: string | null
  bound_account_id: string | null
  last_refresh: string | null
  /** Access-token expiry (ISO-8601), when readable. */
  access_token_expires_at: string | null
}

/** A Codex backend client bound to one credential store. */
export interface UpstreamClient {
  /**
   * `POST {baseUrl}/responses`. Resolves once the first content-bearing event arrived
   * (`response.created` / `response.in_progress` are buffered and replayed); failures before
   * that point are retried per the retry settings. Rejects with an `UpstreamError`.
   */
  responses(body: Record<string, unknown>, options?: ResponsesCallOptions): Promise<ResponsesStream>
  /** Visible models (`visibility` "list" or absent), by ascending `priority`; cached per account. */
  models(options?: CallOptions): Promise<UpstreamModel[]>
  /** Drop cached models (e.g. after logout or login). */
  invalidateModels(): void
  /** Models cache state. */
  modelsCacheStatus(): ModelsCacheStatus
  /** Subscription usage: `/backend-api/wham/usage`, falling back to `{baseUrl}/usage` on 403/404. */
  usage(options?: CallOptions): Promise<UsageSnapshot>
  /** Login readiness from the store. */
  status(): Promise<LoginStatus>
  /** Revoke the refresh token (else the access token) at `{issuer}/oauth/revoke`; 10 s timeout; never throws. @default credentials from the store */
  revoke(auth?: StoredAuth | null): Promise<RevokeResult>
  /** Close the default dispatcher (a caller-supplied dispatcher is left open). Idempotent. */
  close(): Promise<void>
}

interface ModelsCacheEntry {
  key: string
  models: UpstreamModel[]
  fetchedAt: number
}

interface HttpResult {
  status: number
  headers: Record<string, string>
  text: string
}

function callHook<T>(fn: ((info: T) => void) | undefined, info: T): void {
  if (!fn) return
  try {
    fn(info)
  } catch {
    // Hooks never break the request path.
  }
}

function positiveNumber(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite, non-negative number, got ${String(value)}`)
  }
  return value
}

/**
 * Create a Codex backend client (Responses SSE, models, usage) with token refresh and
 * retries. Touches no process-wide state; call `close()` when done.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  if (
    !options ||
    typeof options.credentials?.load !== 'function' ||
    typeof options.credentials.save !== 'function'
  ) {
    throw new TypeError(
      'createUpstreamClient: `credentials` must be a CredentialStore with load() and save()',
    )
  }
  const baseUrl = trimBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL)
  const issuerUrl = trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL)
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const clientVersion = options.clientVersion ?? DEFAULT_CLIENT_VERSION
  const originator = options.originator ?? DEFAULT_ORIGINATOR
  const userAgent = options.userAgent ?? `${originator}/${clientVersion} (airelays)`
  const requestTimeoutMs = positiveNumber(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  )
  const idleTimeoutMs = positiveNumber(
    'streamIdleTimeoutMs',
    options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  )
  const modelsTtlMs =
    positiveNumber(
      'modelsCacheTtlSeconds',
      options.modelsCacheTtlSeconds ?? DEFAULT_MODELS_CACHE_TTL_SECONDS,
    ) * 1000
  const policy = resolveRetryPolicy(options.retry, {
    attempts: DEFAULT_RETRY_ATTEMPTS,
    backoffSeconds: DEFAULT_BACKOFF_SECONDS,
  })
  const clock = options.clock ?? Date.now
  const sleep = options.sleep ?? defaultSleep
  const random = options.random ?? Math.random
  const hooks = options.hooks ?? {}
  const ownsDispatcher = !options.dispatcher
  const dispatcher = options.dispatcher ?? createDefaultDispatcher(requestTimeoutMs, options.proxy)
  const commonHeaders = { originator, 'user-agent': userAgent }
  const tokens = new TokenManager({
    store: options.credentials,
    dispatcher,
    issuerUrl,
    clientId,
    headers: commonHeaders,
    clock,
    onRefresh: (event) => callHook(hooks.onRefresh, event),
  })
  let closed = false

  const authHeaders = (ready: ReadyAuth, accept: string): Record<string, string> => ({
    ...commonHeaders,
    authorization: `Bearer ${ready.accessToken}`,
    'chatgpt-account-id': ready.accountId,
    accept,
    version: clientVersion,
  })

  const secretsOf = (ready: ReadyAuth | null): string[] =>
    ready ? [ready.auth.tokens.access_token, ready.auth.tokens.refresh_token, ready.auth.tokens.id_token] : []

  const ensureOpen = (): void => {
    if (closed)
      throw new UpstreamError({ code: 'upstream_unavailable', message: 'The upstream client is closed.' })
  }

  /** Run `op` with the retry schedule (failures before content only). */
  const withRetries = async <T>(
    op: () => Promise<T>,
    signal: AbortSignal | undefined,
    requestId: string | null,
  ): Promise<T> => {
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw abortedError(signal.reason)
      let error: UpstreamError
      try {
        return await op()
      } catch (raw) {
        if (signal?.aborted) throw abortedError(signal.reason)
        error = isUpstreamError(raw)
          ? raw
          : new UpstreamError({ code: 'upstream_unavailable', message: 'Upstream call failed.', cause: raw })
      }
      if (!isRetriable(error) || retry >= policy.attempts) throw error
      const budget = remainingBudget(policy, retry)
      const skipped = (
        reason: 'quota_resets_beyond_backoff' | 'retry_after_beyond_backoff' | 'client_disconnected',
      ) =>
        callHook(hooks.onRetrySkipped, {
          reason,
          attempt: retry + 1,
          status: error.upstreamStatus,
          resetsInSeconds: error.resetsInSeconds ?? null,
          requestId,
        })
      if (error.resetsInSeconds !== undefined && error.resetsInSeconds > budget) {
        skipped('quota_resets_beyond_backoff')
        throw error
      }
      if (error.retryAfterSeconds !== undefined && error.retryAfterSeconds > budget) {
        skipped('retry_after_beyond_backoff')
        throw error
      }
      const delaySeconds = Math.max(
        withJitter(scheduleDelay(policy, retry), policy.jitter, random),
        error.retryAfterSeconds ?? 0,
      )
      callHook(hooks.onRetry, {
        attempt: retry + 1,
        maxAttempts: policy.attempts,
        delaySeconds,
        status: error.upstreamStatus,
        reason: error.message.slice(0, 500),
        requestId,
      })
      try {
        await sleep(delaySeconds * 1000, signal)
      } catch (sleepError) {
        if (signal?.aborted) {
          skipped('client_disconnected')
          throw abortedError(signal.reason)
        }
        throw sleepError
      }
      if (signal?.aborted) {
        skipped('client_disconnected')
        throw abortedError(signal.reason)
      }
    }
  }

  /** One GET with the 401 → reload/refresh → retry-once rule. */
  const getWithAuth = async (
    url: string,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<HttpResult & { ready: ReadyAuth }> => {
    let ready = await tokens.ready(signal)
    let recovered = false
    let attempt = 0
    for (;;) {
      attempt++
      const result = await send(
        'GET',
        url,
        authHeaders(ready, 'application/json'),
        undefined,
        signal,
        attempt,
        null,
      )
      const text = await readBodyText(result.body).catch((error: unknown) => {
        throw mapTransport(error, signal, what)
      })
      if (result.statusCode === 401 && !recovered) {
        recovered = true
        ready = await tokens.recover(ready, signal)
        continue
      }
      return { status: result.statusCode, headers: result.headers, text, ready }
    }
  }

  const mapTransport = (error: unknown, signal: AbortSignal | undefined, what: string): UpstreamError => {
    if (signal?.aborted) return abortedError(signal.reason)
    if (isUpstreamError(error)) return error
    return errorFromTransport(error, what, requestTimeoutMs)
  }

  const send = async (
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    attempt: number,
    requestId: string | null,
    sessionId: string | null = null,
  ): Promise<{
    statusCode: number
    headers: Record<string, string>
    body: Dispatcher.ResponseData['body']
  }> => {
    ensureOpen()
    callHook(hooks.onRequest, { method, url, attempt, requestId, sessionId })
    const started = performance.now()
    let response: Dispatcher.ResponseData
    try {
      response = await request(url, {
        method,
        dispatcher,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
        headersTimeout: requestTimeoutMs,
        bodyTimeout: 0,
      })
    } catch (error) {
      throw mapTransport(error, signal, 'Upstream request')
    }
    const responseHeaders = headersToRecord(response.headers)
    callHook(hooks.onResponse, {
      method,
      url,
      attempt,
      requestId,
      status: response.statusCode,
      headers: responseHeaders,
      durationMs: performance.now() - started,
    })
    return { statusCode: response.statusCode, headers: responseHeaders, body: response.body }
  }

  const responses = async (
    body: Record<string, unknown>,
    callOptions: ResponsesCallOptions = {},
  ): Promise<ResponsesStream> => {
    if (!isRecord(body)) throw new TypeError('responses(body): body must be a JSON object')
    ensureOpen()
    const signal = callOptions.signal
    const requestId = callOptions.requestId ?? null
    const sessionId =
      callOptions.sessionId ??
      (typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : null) ??
      null
    const payload: Record<string, unknown> = { ...body }
    if (sessionId && (payload.prompt_cache_key === undefined || payload.prompt_cache_key === null)) {
      payload.prompt_cache_key = sessionId
    }
    // Cleared once the call is settled: the stream's callbacks keep this scope alive for as long
    // as the stream runs, and a long prompt should not stay in memory that long.
    let json: string | null = JSON.stringify(payload)
    const url = `${baseUrl}/responses`
    let attempts = 0
    let unauthorizedRetried = false

    const attemptOnce = async (ready: ReadyAuth): Promise<ResponsesStream> => {
      attempts++
      const headers: Record<string, string> = {
        ...authHeaders(ready, 'text/event-stream'),
        'content-type': 'application/json',
      }
      if (sessionId) headers.session_id = sessionId
      const secrets = secretsOf(ready)
      // Each attempt gets its own controller so a failed attempt's socket is always released.
      const controller = new AbortController()
      const onAbort = (): void => controller.abort(signal?.reason)
      if (signal?.aborted) controller.abort(signal.reason)
      else signal?.addEventListener('abort', onAbort, { once: true })
      const detach = (): void => signal?.removeEventListener('abort', onAbort)
      let response: Awaited<ReturnType<typeof send>>
      try {
        response = await send(
          'POST',
          url,
          headers,
          json as string, // set until the call settles
          controller.signal,
          attempts,
          requestId,
          sessionId,
        )
      } catch (error) {
        detach()
        throw signal?.aborted ? abortedError(signal.reason) : error
      }
      const responseHeaders = response.headers
      if (response.statusCode >= 400) {
        let text: string
        try {
          text = await readBodyText(response.body)
        } catch (error) {
          detach()
          throw mapTransport(error, signal, 'Upstream request')
        }
        detach()
        throw errorFromHttpResponse({
          status: response.statusCode,
          headers: responseHeaders,
          text,
          nowMs: clock(),
          secrets,
          what: 'Upstream request',
        })
      }
      const idleSeconds = Number((idleTimeoutMs / 1000).toFixed(3))
      const pump = new EventPump(response.body, idleTimeoutMs, () => {
        return new UpstreamError({
          code: 'timeout',
          message: `Upstream stream was idle for more than ${idleSeconds} s.`,
        })
      })
      const mapError = (raw: unknown): UpstreamError => {
        if (signal?.aborted) return abortedError(signal.reason)
        if (isUpstreamError(raw)) return raw
        return new UpstreamError({
          code: pump.messages === 0 ? 'upstream_unavailable' : 'stream_incomplete',
          message:
            pump.messages === 0 ? 'Upstream connection failed before any event.' : STREAM_INCOMPLETE_MESSAGE,
          cause: raw,
        })
      }
      const buffered: ResponsesEvent[] = []
      for (;;) {
        let event: ResponsesEvent | null
        try {
          event = await pump.next()
        } catch (raw) {
          detach()
          pump.destroy()
          throw mapError(raw)
        }
        if (event === null) {
          detach()
          pump.destroy()
          throw new UpstreamError({
            code: 'stream_incomplete',
            message: buffered.length === 0 ? STREAM_EMPTY_MESSAGE : STREAM_INCOMPLETE_MESSAGE,
          })
        }
        if (event.type === 'response.created' || event.type === 'response.in_progress') {
          buffered.push(event)
          continue
        }
        if (isFailureEvent(event.type)) {
          detach()
          pump.destroy()
          throw errorFromStreamEvent(event, false, clock(), secrets)
        }
        buffered.push(event)
        break
      }
      // The caller's signal stays linked to this attempt until the stream ends.
      return new UpstreamResponsesStream({
        pump,
        buffered,
        status: response.statusCode,
        headers: responseHeaders,
        attempts,
        sessionId,
        requestId,
        nowMs: clock,
        secrets,
        signal: controller.signal,
        mapError,
        onEnd: (info) => {
          detach()
          callHook(hooks.onStreamEnd, info)
        },
      })
    }

    try {
      return await withRetries(
        async () => {
          const ready = await tokens.ready(signal)
          try {
            return await attemptOnce(ready)
          } catch (error) {
            if (
              !unauthorizedRetried &&
              isUpstreamError(error) &&
              error.code === 'auth_rejected' &&
              error.upstreamStatus === 401
            ) {
              unauthorizedRetried = true
              return attemptOnce(await tokens.recover(ready, signal))
            }
            throw error
          }
        },
        signal,
        requestId,
      )
    } finally {
      json = null
    }
  }

  // ---- models ----
  let modelsCache: ModelsCacheEntry | null = null
  const modelsInFlight = new Map<string, Promise<UpstreamModel[]>>()
  let modelsGeneration = 0

  const fetchModels = async (key: string): Promise<UpstreamModel[]> => {
    const generation = modelsGeneration
    const url = `${baseUrl}/models?client_version=${encodeURIComponent(clientVersion)}`
    const result = await getWithAuth(url, 'Models request', undefined)
    if (result.status >= 400) {
      throw errorFromHttpResponse({
        status: result.status,
        headers: result.headers,
        text: result.text,
        nowMs: clock(),
        secrets: secretsOf(result.ready),
        what: 'Models request',
      })
    }
    const payload = parseJsonSafe(result.text)
    const list = isRecord(payload) ? payload.models : undefined
    if (!Array.isArray(list)) {
      throw new UpstreamError({
        code: 'upstream_http_error',
        message: 'Upstream models payload is not valid (expected {"models": [...]}).',
        upstreamStatus: result.status,
        headers: result.headers,
      })
    }
    const models = list
      .filter(
        (entry): entry is UpstreamModel =>
          isRecord(entry) && typeof entry.slug === 'string' && entry.slug !== '',
      )
      .filter(
        (entry) => entry.visibility === undefined || entry.visibility === null || entry.visibility === 'list',
      )
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => {
        const pa = typeof a.entry.priority === 'number' ? a.entry.priority : Number.POSITIVE_INFINITY
        const pb = typeof b.entry.priority === 'number' ? b.entry.priority : Number.POSITIVE_INFINITY
        return pa === pb ? a.index - b.index : pa - pb
      })
      .map(({ entry }) => entry)
    if (modelsTtlMs > 0 && generation === modelsGeneration) {
      modelsCache = { key, models, fetchedAt: clock() }
    }
    return models
  }

  const models = async (callOptions: CallOptions = {}): Promise<UpstreamModel[]> => {
    ensureOpen()
    const signal = callOptions.signal
    if (signal?.aborted) throw abortedError(signal.reason)
    const ready = await tokens.ready(signal)
    const key = `${ready.accountId}\u0000${ready.auth.bound_account_id ?? ''}\u0000${clientVersion}`
    if (
      modelsTtlMs > 0 &&
      modelsCache &&
      modelsCache.key === key &&
      clock() - modelsCache.fetchedAt < modelsTtlMs
    ) {
      return modelsCache.models.map((model) => ({ ...model }))
    }
    let shared = modelsInFlight.get(key)
    if (!shared) {
      shared = fetchModels(key).finally(() => modelsInFlight.delete(key))
      modelsInFlight.set(key, shared)
    }
    const list = await raceSignal(shared, signal)
    return list.map((model) => ({ ...model }))
  }

  const modelsCacheStatus = (): ModelsCacheStatus => {
    const ttlSeconds = modelsTtlMs / 1000
    if (modelsTtlMs <= 0) {
      return {
        enabled: false,
        ttl_seconds: 0,
        state: 'disabled',
        age_seconds: null,
        expires_in_seconds: null,
        cached_model_count: 0,
      }
    }
    if (!modelsCache) {
      return {
        enabled: true,
        ttl_seconds: ttlSeconds,
        state: 'empty',
        age_seconds: null,
        expires_in_seconds: null,
        cached_model_count: 0,
      }
    }
    const age = (clock() - modelsCache.fetchedAt) / 1000
    return {
      enabled: true,
      ttl_seconds: ttlSeconds,
      state: age < ttlSeconds ? 'fresh' : 'expired',
      age_seconds: Math.round(age * 1000) / 1000,
      expires_in_seconds: Math.max(0, Math.round((ttlSeconds - age) * 1000) / 1000),
      cached_model_count: modelsCache.models.length,
    }
  }

  // ---- usage ----
  const usage = async (callOptions: CallOptions = {}): Promise<UsageSnapshot> => {
    ensureOpen()
    const signal = callOptions.signal
    const whamUrl = `${baseUrl.replace(/\/codex$/, '')}/wham/usage`
    let url = whamUrl
    let result = await getWithAuth(url, 'Usage request', signal)
    if (result.status === 403 || result.status === 404) {
      url = `${baseUrl}/usage`
      result = await getWithAuth(url, 'Usage request', signal)
    }
    if (result.status >= 400) {
      throw errorFromHttpResponse({
        status: result.status,
        headers: result.headers,
        text: result.text,
        nowMs: clock(),
        secrets: secretsOf(result.ready),
        what: 'Usage request',
      })
    }
    const payload = parseJsonSafe(result.text)
    if (!isRecord(payload)) {
      throw new UpstreamError({
        code: 'upstream_http_error',
        message: 'Upstream usage payload is not a JSON object.',
        upstreamStatus: result.status,
        headers: result.headers,
      })
    }
    return normalizeUsage(payload, clock(), new URL(url).pathname)
  }

  // ---- status ----
  const status = async (): Promise<LoginStatus> => {
    let raw: unknown
    try {
      raw = await options.credentials.load()
    } catch (error) {
      throw new UpstreamError({
        code: 'auth_missing',
        message: `Could not read the stored ChatGPT login: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      })
    }
    const auth = normalizeStoredAuth(raw)
    const idClaims = decodeJwtClaims(auth?.tokens.id_token)
    const accessClaims = decodeJwtClaims(auth?.tokens.access_token)
    const accountId = auth ? effectiveAccountId(auth) : null
    const bound = auth?.bound_account_id ?? null
    const authenticated = auth !== null
    return {
      credentials_present: raw !== null && raw !== undefined,
      authenticated,
      account_bound: bound !== null,
      ready_for_requests: authenticated && accountId !== null && (bound === null || bound === accountId),
      email: idClaims?.email ?? accessClaims?.email ?? null,
      plan_type: idClaims?.planType ?? accessClaims?.planType ?? null,
      account_id: accountId,
      bound_account_id: bound,
      last_refresh: auth?.last_refresh ?? null,
      access_token_expires_at:
        accessClaims?.exp !== null && accessClaims?.exp !== undefined
          ? new Date(accessClaims.exp * 1000).toISOString()
          : null,
    }
  }

  const revoke = async (auth?: StoredAuth | null): Promise<RevokeResult> => {
    let target: StoredAuth | null
    try {
      target = auth === undefined ? normalizeStoredAuth(await options.credentials.load()) : auth
    } catch (error) {
      return {
        revoked: false,
        tokenTypeHint: null,
        status: null,
        error: `Could not read the stored ChatGPT login: ${error instanceof Error ? error.message : String(error)}`,
      }
    }
    return revokeTokens({
      dispatcher,
      issuerUrl,
      clientId,
      auth: target,
      headers: commonHeaders,
      timeoutMs: REVOKE_TIMEOUT_MS,
    })
  }

  return {
    responses,
    models,
    invalidateModels: () => {
      modelsCache = null
      modelsGeneration++
    },
    modelsCacheStatus,
    usage,
    status,
    revoke,
    close: async () => {
      if (closed) return
      closed = true
      if (ownsDispatcher) await dispatcher.close()
    },
  }
}

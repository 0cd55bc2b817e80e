import type { IncomingHttpHeaders } from 'node:http'
import { UPSTREAM_USAGE_LIMIT_CODES } from '@airelays/translate/upstream-codes'
import type { Dispatcher } from 'undici'
import { classifyUpstreamError, extractUpstreamError, isRecord, UpstreamError } from '../errors'
import type { ProxySettings } from '../proxy'
import { loginHintFor, withHint } from './login-hint'
import { envHttpProxyAgent, lazyDispatcher, undiciAgent } from './undici'

/**
 * The default dispatcher: one agent per client, with no per-origin connection cap (so hundreds
 * of concurrent streams are never queued behind a small pool), connect and header timeouts of
 * `requestTimeoutMs`, and no body timeout (streams use the idle timeout). The agent (and undici)
 * is created on the first request. With a proxy (from `proxy` or HTTP_PROXY / HTTPS_PROXY) it is
 * an `EnvHttpProxyAgent`: `proxyTunnel: false` sends plain-HTTP targets to an HTTP proxy in
 * absolute form (as curl does), HTTPS targets always go through a CONNECT tunnel, and NO_PROXY is
 * honoured. Without one it is a plain `Agent`, which is what `EnvHttpProxyAgent` would use for
 * every request anyway, without its per-request URL parse and NO_PROXY lookup (bench/findings.md).
 */
export function createDefaultDispatcher(
  requestTimeoutMs: number,
  proxy: ProxySettings | undefined,
): Dispatcher {
  return lazyDispatcher(() => {
    const agentOptions = {
      connections: null,
      connectTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: 0,
    }
    if (!proxyConfigured(proxy)) return new (undiciAgent())(agentOptions)
    return new (envHttpProxyAgent())({
      ...agentOptions,
      proxyTunnel: false,
      ...(proxy?.httpProxy !== undefined ? { httpProxy: proxy.httpProxy } : {}),
      ...(proxy?.httpsProxy !== undefined ? { httpsProxy: proxy.httpsProxy } : {}),
      ...(proxy?.noProxy !== undefined ? { noProxy: proxy.noProxy } : {}),
    })
  })
}

/** Whether `proxy` or the environment names an HTTP or HTTPS proxy (as `EnvHttpProxyAgent` reads them). */
function proxyConfigured(proxy: ProxySettings | undefined): boolean {
  const env = process.env
  const httpProxy = proxy?.httpProxy ?? env.http_proxy ?? env.HTTP_PROXY
  const httpsProxy = proxy?.httpsProxy ?? env.https_proxy ?? env.HTTPS_PROXY
  return Boolean(httpProxy) || Boolean(httpsProxy)
}

/** Flatten undici's response headers (lower-case names, repeated values joined with ", "). */
export function headersToRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return out
}

/** Read at most `limit` bytes of a response body as UTF-8, then discard the rest. */
export async function readBodyText(
  body: Dispatcher.ResponseData['body'],
  limit: number = 256 * 1024,
): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer
      if (size + buf.length > limit) {
        chunks.push(buf.subarray(0, limit - size))
        size = limit
        body.destroy()
        break
      }
      chunks.push(buf)
      size += buf.length
    }
  } catch (error) {
    if (size === 0) throw error
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Parse JSON, returning `undefined` for anything that does not parse. */
export function parseJsonSafe(text: string): unknown {
  const trimmed = text.trim()
  if (!trimmed) return undefined
  try {
    return JSON.parse(trimmed)
  } catch {
    return undefined
  }
}

const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g

/** Remove known secrets and anything JWT-shaped from text meant for messages. */
export function redact(text: string, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let out = text
  for (const secret of secrets) {
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]')
  }
  return out.replace(JWT_LIKE, '[redacted-jwt]')
}

/** Shorten text for an error message. */
export function truncate(text: string, max = 500): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - nowMs) / 1000))
}

const TRY_AGAIN = /try again in\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|secs|seconds?)\b/i

/** "Please try again in 1.5s" → 1.5. */
export function parseTryAgainIn(message: unknown): number | undefined {
  if (typeof message !== 'string') return undefined
  const match = TRY_AGAIN.exec(message)
  if (!match) return undefined
  const value = Number(match[1])
  return match[2]?.toLowerCase().startsWith('m') ? value / 1000 : value
}

function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return undefined
}

/** Quota reset fields of an error object, completed from each other. */
export function quotaResets(
  error: Record<string, unknown> | undefined,
  nowMs: number,
): { resetsAt?: number; resetsInSeconds?: number } {
  if (!error) return {}
  let resetsAt = finiteNumber(error.resets_at)
  let resetsInSeconds = finiteNumber(error.resets_in_seconds)
  if (resetsInSeconds === undefined && resetsAt !== undefined) {
    resetsInSeconds = Math.max(0, Math.round(resetsAt - nowMs / 1000))
  }
  if (resetsAt === undefined && resetsInSeconds !== undefined) {
    resetsAt = Math.round(nowMs / 1000 + resetsInSeconds)
  }
  return {
    ...(resetsAt !== undefined ? { resetsAt } : {}),
    ...(resetsInSeconds !== undefined ? { resetsInSeconds } : {}),
  }
}

function errorMessageOf(error: Record<string, unknown> | undefined): string | undefined {
  if (!error) return undefined
  if (typeof error.message === 'string' && error.message) return error.message
  if (typeof error.code === 'string' && error.code) return error.code
  if (typeof error.type === 'string' && error.type) return error.type
  return undefined
}

/** The backend's refusal of a model above the client version it was told. */
const REQUIRES_NEWER_VERSION = /requires a newer version of Codex/i

function quotaCode(error: Record<string, unknown> | undefined): 'usage_limit' | 'rate_limited' {
  const code = typeof error?.code === 'string' ? error.code : ''
  const type = typeof error?.type === 'string' ? error.type : ''
  return UPSTREAM_USAGE_LIMIT_CODES.has(code) || UPSTREAM_USAGE_LIMIT_CODES.has(type)
    ? 'usage_limit'
    : 'rate_limited'
}

/** Build the error for an upstream HTTP response with status >= 400. */
export function errorFromHttpResponse(input: {
  status: number
  headers: Record<string, string>
  text: string
  nowMs: number
  secrets: ReadonlyArray<string | null | undefined>
  what: string
  /** The sentence telling the user to log in (auth_rejected). @default the airelays wording */
  hint?: string
}): UpstreamError {
  const payload = parseJsonSafe(input.text)
  const upstreamError = extractUpstreamError(payload)
  const kind = classifyUpstreamError(payload ?? {}, input.status)
  const detail = errorMessageOf(upstreamError) ?? (truncate(input.text) || `HTTP ${input.status}`)
  const message = redact(`${input.what} failed with status ${input.status}: ${detail}`, input.secrets)
  const retryAfterSeconds =
    parseRetryAfter(input.headers['retry-after'], input.nowMs) ?? parseTryAgainIn(upstreamError?.message)
  const common = {
    upstreamStatus: input.status,
    headers: input.headers,
    ...(upstreamError ? { upstreamError } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...quotaResets(upstreamError, input.nowMs),
  }
  switch (kind) {
    case 'quota':
      return new UpstreamError({ code: quotaCode(upstreamError), message, kind, ...common })
    case 'client':
      return new UpstreamError({
        code: REQUIRES_NEWER_VERSION.test(detail) ? 'client_version_too_old' : 'bad_request',
        message,
        kind,
        ...common,
      })
    case 'auth':
      return new UpstreamError({
        code: 'auth_rejected',
        message: withHint(
          'Upstream ChatGPT login is missing or expired.',
          input.hint ?? loginHintFor(undefined)('first'),
        ),
        kind,
        ...common,
      })
    default:
      return new UpstreamError({ code: 'upstream_http_error', message, kind, ...common })
  }
}

/** Build the error for an in-stream failure event (`error` / `response.failed`). */
export function errorFromStreamEvent(
  event: Record<string, unknown>,
  afterContent: boolean,
  nowMs: number,
  secrets: ReadonlyArray<string | null | undefined>,
): UpstreamError {
  const upstreamError = extractUpstreamError(event)
  const embeddedStatus = finiteNumber(event.status_code) ?? finiteNumber(event.status)
  const kind = classifyUpstreamError(event, null)
  const detail = errorMessageOf(upstreamError) ?? 'The upstream response failed.'
  const message = redact(detail, secrets)
  const retryAfterSeconds = parseTryAgainIn(upstreamError?.message)
  const common = {
    kind,
    upstreamStatus: embeddedStatus ?? null,
    event: event as { type: string },
    ...(upstreamError ? { upstreamError } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...quotaResets(upstreamError, nowMs),
  }
  if (afterContent) return new UpstreamError({ code: 'stream_failed', message, ...common })
  if (kind === 'quota') return new UpstreamError({ code: quotaCode(upstreamError), message, ...common })
  if (kind === 'client') return new UpstreamError({ code: 'bad_request', message, ...common })
  return new UpstreamError({ code: 'stream_failed', message, ...common })
}

/** Map a transport failure (connect, socket, timeout) to an `UpstreamError`. */
export function errorFromTransport(error: unknown, what: string, timeoutMs: number): UpstreamError {
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined
  const text = error instanceof Error ? error.message : String(error)
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    (error instanceof Error && error.name === 'TimeoutError')
  ) {
    return new UpstreamError({
      code: 'timeout',
      message: `${what} timed out after ${Number((timeoutMs / 1000).toFixed(3))} s.`,
      cause: error,
    })
  }
  return new UpstreamError({
    code: 'upstream_unavailable',
    message: `Upstream connection failed: ${code ? `${code} ` : ''}${redact(truncate(text, 300))}`.trim(),
    cause: error,
  })
}

/** The error for a caller abort (client disconnected). */
export function abortedError(cause?: unknown): UpstreamError {
  return new UpstreamError({
    code: 'aborted',
    message: 'The request was aborted before the upstream call completed (client disconnected).',
    kind: 'transient',
    ...(cause !== undefined ? { cause } : {}),
  })
}

/** Races `promise` against `signal`: rejects with an `aborted` UpstreamError when the signal fires first,
 * without cancelling the shared promise other callers may still wait for. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(abortedError(signal.reason))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

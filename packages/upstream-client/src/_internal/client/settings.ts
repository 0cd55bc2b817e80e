// Options of `createUpstreamClient` → validated settings with every default applied.
import type { UpstreamClientOptions } from '../../client-options'
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
  trimBaseUrl,
} from '../constants'
import { loginHintFor } from '../login-hint'
import { resolveRetryPolicy } from '../retry'
import type { ClientIdentity, ClientSettings } from './context'

/** Throw a TypeError unless `options.credentials` is a usable store. */
export function assertClientOptions(options: UpstreamClientOptions): void {
  if (
    !options ||
    typeof options.credentials?.load !== 'function' ||
    typeof options.credentials.save !== 'function'
  ) {
    throw new TypeError(
      'createUpstreamClient: `credentials` must be a CredentialStore with load() and save()',
    )
  }
  if (options.transport !== undefined && options.transport !== 'undici' && options.transport !== 'node') {
    throw new TypeError(
      `createUpstreamClient: \`transport\` must be 'undici' or 'node', got ${String(options.transport)}`,
    )
  }
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite, non-negative number, got ${String(value)}`)
  }
  return value
}

function resolveIdentity(options: UpstreamClientOptions): ClientIdentity {
  const clientVersion = options.clientVersion ?? DEFAULT_CLIENT_VERSION
  const originator = options.originator ?? DEFAULT_ORIGINATOR
  const userAgent = options.userAgent ?? `${originator}/${clientVersion} (airelays)`
  return { clientVersion, originator, userAgent }
}

/** Apply defaults and validate (RangeError on a bad number or retry setting). */
export function resolveClientSettings(options: UpstreamClientOptions): ClientSettings {
  const requestTimeoutMs = nonNegative(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  )
  const streamIdleTimeoutMs = nonNegative(
    'streamIdleTimeoutMs',
    options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  )
  const modelsTtlMs =
    nonNegative('modelsCacheTtlSeconds', options.modelsCacheTtlSeconds ?? DEFAULT_MODELS_CACHE_TTL_SECONDS) *
    1000
  const retry = resolveRetryPolicy(options.retry, {
    attempts: DEFAULT_RETRY_ATTEMPTS,
    backoffSeconds: DEFAULT_BACKOFF_SECONDS,
  })
  return {
    baseUrl: trimBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL),
    issuerUrl: trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL),
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    identity: resolveIdentity(options),
    requestTimeoutMs,
    streamIdleTimeoutMs,
    modelsTtlMs,
    retry,
    loginHint: loginHintFor(options.loginHint),
  }
}

import type { Dispatcher } from 'undici'
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER_URL,
  DEFAULT_LOGIN_TIMEOUT_SECONDS,
  DEFAULT_ORIGINATOR,
  OAUTH_TIMEOUT_MS,
  trimBaseUrl,
} from './_internal/constants'
import { createDefaultDispatcher, errorFromTransport, parseJsonSafe } from './_internal/http'
import { type PostResult, exchangeCode, postWithTimeout } from './_internal/oauth'
import { defaultSleep } from './_internal/sleep'
import { UpstreamError, isRecord, isUpstreamError } from './errors'
import type { ProxySettings } from './proxy'
import type { Clock, Sleep, StoredAuth } from './types'

/** Options of `startDeviceLogin`. */
export interface DeviceLoginOptions {
  /** OAuth issuer base URL. Env fallback (via @airelays/config): `AIRELAYS_ISSUER_BASE_URL`. @default 'https://auth.openai.com' */
  issuerUrl?: string
  /** OAuth client id. Env fallback (via @airelays/config): `AIRELAYS_CLIENT_ID`. @default 'app_EMoamEEZ73f0CkXaXp7hrann' */
  clientId?: string
  /** `originator` header. @default 'codex_cli_rs' */
  originator?: string
  /** How long to poll for approval, in seconds. Env fallback (via @airelays/config): `AIRELAYS_LOGIN_TIMEOUT_SECONDS`. @default 900 */
  loginTimeoutSeconds?: number
  /** Timeout of each issuer request, in milliseconds. @default 30000 */
  requestTimeoutMs?: number
  /** undici dispatcher. @default a per-login `EnvHttpProxyAgent` (closed when the login ends) */
  dispatcher?: Dispatcher
  /** Proxy overrides for the default dispatcher. @default HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment */
  proxy?: ProxySettings
  /** Epoch-millisecond clock. @default Date.now */
  clock?: Clock
  /** Sleep between polls (tests inject one that advances a fake clock). @default a timer */
  sleep?: Sleep
}

/** Passed to `onPending` after every poll that is not approved yet. */
export interface DevicePendingInfo {
  /** Polls made so far. */
  polls: number
  /** Current polling interval in seconds (grows by 5 after each `slow_down`). */
  intervalSeconds: number
  /** True when this poll asked to slow down. */
  slowDown: boolean
  /** When polling gives up. */
  expiresAt: Date
  /** Seconds left until `expiresAt` (rounded down, >= 0). */
  remainingSeconds: number
}

/** Options of `DeviceLogin.waitForCompletion`. */
export interface DeviceWaitOptions {
  /** Called after each pending poll (e.g. to print a heartbeat). Exceptions are ignored. */
  onPending?: (info: DevicePendingInfo) => void
  /** Abort the wait; it rejects with `login_cancelled`. */
  signal?: AbortSignal
}

/** A device-code login in progress: show `verificationUrl` and `userCode`, then await completion. */
export interface DeviceLogin {
  /** `{issuer}/codex/device`. */
  readonly verificationUrl: string
  /** The code the user types on the verification page. */
  readonly userCode: string
  /** When polling gives up (`loginTimeoutSeconds` after the code was issued). */
  readonly expiresAt: Date
  /** Polling interval announced by the issuer, in seconds (0 or missing → 5). */
  readonly intervalSeconds: number
  /**
   * Poll until approved, then exchange the code; resolves with the new credentials (the caller
   * persists them). Rejects with `device_login_timeout`, `device_login_failed`,
   * `device_login_unexpected_payload`, `code_exchange_failed` or `login_cancelled`.
   * Calling it again returns the same promise.
   */
  waitForCompletion(options?: DeviceWaitOptions): Promise<StoredAuth>
  /** Stop polling; a pending `waitForCompletion()` rejects with `login_cancelled`. */
  cancel(): Promise<void>
}

const DEFAULT_INTERVAL_SECONDS = 5
const SLOW_DOWN_STEP_SECONDS = 5
const MAX_CONSECUTIVE_TRANSPORT_ERRORS = 5

function failedUpstream(status: number): UpstreamError {
  return new UpstreamError({
    code: 'device_login_failed',
    message: `Device-code login failed upstream (status ${status}). Request a fresh code with \`airelays login --device\`.`,
    upstreamStatus: status,
  })
}

function parseInterval(value: unknown): number {
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN
  return Number.isFinite(parsed) && parsed > 0 ? parsed : DEFAULT_INTERVAL_SECONDS
}

function errorCodeOf(payload: unknown): string | undefined {
  if (!isRecord(payload)) return undefined
  if (typeof payload.error === 'string') return payload.error
  if (isRecord(payload.error) && typeof payload.error.code === 'string') return payload.error.code
  if (typeof payload.code === 'string') return payload.code
  return undefined
}

/**
 * Start a device-code login: asks the issuer for a user code (404 → `device_login_disabled`,
 * "Device-code login is not enabled for this server.").
 */
export async function startDeviceLogin(options: DeviceLoginOptions = {}): Promise<DeviceLogin> {
  const issuerUrl = trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL)
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const originator = options.originator ?? DEFAULT_ORIGINATOR
  const clock = options.clock ?? Date.now
  const sleep = options.sleep ?? defaultSleep
  const timeoutSeconds = options.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS
  const requestTimeoutMs = options.requestTimeoutMs ?? OAUTH_TIMEOUT_MS
  if (!(timeoutSeconds > 0)) throw new RangeError('loginTimeoutSeconds must be a positive number')
  const ownsDispatcher = !options.dispatcher
  const dispatcher = options.dispatcher ?? createDefaultDispatcher(requestTimeoutMs, options.proxy)
  const headers = { originator }
  const controller = new AbortController()

  const post = (path: string, body: unknown): Promise<PostResult> =>
    postWithTimeout({
      dispatcher,
      url: `${issuerUrl}${path}`,
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: requestTimeoutMs,
      signal: controller.signal,
    })

  const releaseDispatcher = async (): Promise<void> => {
    if (ownsDispatcher) await dispatcher.close().catch(() => {})
  }

  let userCode: string
  let deviceAuthId: string
  let intervalSeconds: number
  try {
    let result: PostResult
    try {
      result = await post('/api/accounts/deviceauth/usercode', { client_id: clientId })
    } catch (error) {
      const transport = errorFromTransport(error, 'Device-code request', requestTimeoutMs)
      throw new UpstreamError({
        code: 'device_login_failed',
        message: `Device-code login failed: ${transport.message}`,
        kind: 'transient',
        cause: error,
      })
    }
    if (result.status === 404) {
      throw new UpstreamError({
        code: 'device_login_disabled',
        message: 'Device-code login is not enabled for this server.',
        upstreamStatus: 404,
        status: 404,
      })
    }
    if (result.status >= 400) throw failedUpstream(result.status)
    const payload = parseJsonSafe(result.text)
    const record = isRecord(payload) ? payload : {}
    const code = record.user_code ?? record.usercode
    if (typeof code !== 'string' || code.length === 0) {
      throw new UpstreamError({
        code: 'device_login_unexpected_payload',
        message: 'Device-code login returned an unexpected payload (no user code).',
        upstreamStatus: result.status,
      })
    }
    if (typeof record.device_auth_id !== 'string' || record.device_auth_id.length === 0) {
      throw new UpstreamError({
        code: 'device_login_unexpected_payload',
        message: 'Device-code login returned an unexpected payload (no device_auth_id).',
        upstreamStatus: result.status,
      })
    }
    userCode = code
    deviceAuthId = record.device_auth_id
    intervalSeconds = parseInterval(record.interval)
  } catch (error) {
    await releaseDispatcher()
    throw error
  }

  const startedAt = clock()
  const deadline = startedAt + timeoutSeconds * 1000
  const expiresAt = new Date(deadline)
  const timeoutError = (): UpstreamError =>
    new UpstreamError({
      code: 'device_login_timeout',
      message: `Device-code login was not approved within ${Math.max(1, Math.floor(timeoutSeconds / 60))} minute(s). The code may have expired or the request was denied; run \`airelays login --device\` to get a fresh code.`,
      status: 408,
    })
  const cancelledError = (): UpstreamError =>
    new UpstreamError({ code: 'login_cancelled', message: 'Device-code login was cancelled.', status: 499 })

  const poll = async (waitOptions: DeviceWaitOptions): Promise<StoredAuth> => {
    let interval = intervalSeconds
    let polls = 0
    let transportFailures = 0
    for (;;) {
      const remaining = deadline - clock()
      if (remaining <= 0) throw timeoutError()
      if (remaining < interval * 1000) {
        // One more poll would come sooner than the interval allows (RFC 8628 §3.5): wait out the
        // deadline instead and give up.
        await sleep(remaining, controller.signal)
        throw timeoutError()
      }
      await sleep(interval * 1000, controller.signal)
      let result: PostResult
      try {
        result = await post('/api/accounts/deviceauth/token', {
          device_auth_id: deviceAuthId,
          user_code: userCode,
        })
      } catch (error) {
        if (controller.signal.aborted) throw error
        transportFailures++
        if (transportFailures >= MAX_CONSECUTIVE_TRANSPORT_ERRORS) {
          const transport = errorFromTransport(error, 'Device-code polling', requestTimeoutMs)
          throw new UpstreamError({
            code: 'device_login_failed',
            message: `Device-code login failed: ${transport.message}`,
            kind: 'transient',
            cause: error,
          })
        }
        continue
      }
      transportFailures = 0
      polls++
      const payload = parseJsonSafe(result.text)
      const errorCode = errorCodeOf(payload)
      const slowDown = result.status === 429 || errorCode === 'slow_down'
      const pending =
        slowDown || result.status === 403 || result.status === 404 || errorCode === 'authorization_pending'
      if (pending) {
        if (slowDown) interval += SLOW_DOWN_STEP_SECONDS
        try {
          waitOptions.onPending?.({
            polls,
            intervalSeconds: interval,
            slowDown,
            expiresAt,
            remainingSeconds: Math.max(0, Math.floor((deadline - clock()) / 1000)),
          })
        } catch {
          // A failing progress callback must not end the login.
        }
        continue
      }
      if (result.status < 200 || result.status >= 300) throw failedUpstream(result.status)
      const record = isRecord(payload) ? payload : {}
      const authorizationCode = record.authorization_code
      const codeVerifier = record.code_verifier
      if (
        typeof authorizationCode !== 'string' ||
        !authorizationCode ||
        typeof codeVerifier !== 'string' ||
        !codeVerifier
      ) {
        throw new UpstreamError({
          code: 'device_login_unexpected_payload',
          message: 'Device-code login returned an unexpected payload (no authorization code).',
          upstreamStatus: result.status,
        })
      }
      return exchangeCode({
        dispatcher,
        issuerUrl,
        clientId,
        code: authorizationCode,
        codeVerifier,
        redirectUri: `${issuerUrl}/deviceauth/callback`,
        headers,
        timeoutMs: requestTimeoutMs,
        nowMs: clock,
        signal: controller.signal,
      })
    }
  }

  let completion: Promise<StoredAuth> | null = null
  const waitForCompletion = (waitOptions: DeviceWaitOptions = {}): Promise<StoredAuth> => {
    if (completion) return completion
    const external = waitOptions.signal
    const onExternalAbort = (): void => controller.abort()
    if (external?.aborted) controller.abort()
    else external?.addEventListener('abort', onExternalAbort, { once: true })
    completion = poll(waitOptions)
      .catch((error: unknown) => {
        if (controller.signal.aborted) throw cancelledError()
        if (isUpstreamError(error)) throw error
        throw new UpstreamError({
          code: 'device_login_failed',
          message: 'Device-code login failed.',
          cause: error,
        })
      })
      .finally(async () => {
        external?.removeEventListener('abort', onExternalAbort)
        await releaseDispatcher()
      })
    return completion
  }

  return {
    verificationUrl: `${issuerUrl}/codex/device`,
    userCode,
    expiresAt,
    intervalSeconds,
    waitForCompletion,
    cancel: async () => {
      controller.abort()
      if (completion) await completion.catch(() => {})
      else await releaseDispatcher()
    },
  }
}

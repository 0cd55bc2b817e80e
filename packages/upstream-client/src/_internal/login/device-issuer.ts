// The issuer's device-code endpoints (RFC 8628 style, as the Codex CLI uses them): the login's
// session and resources, the user-code request, one poll, and reading a poll's answer.
import type { Dispatcher } from 'undici'
import type { DeviceLoginOptions } from '../../device-login'
import { UpstreamError, isRecord } from '../../errors'
import type { Clock, Sleep } from '../../types'
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER_URL,
  DEFAULT_LOGIN_TIMEOUT_SECONDS,
  DEFAULT_ORIGINATOR,
  OAUTH_TIMEOUT_MS,
  trimBaseUrl,
} from '../constants'
import { createDefaultDispatcher, errorFromTransport, parseJsonSafe } from '../http'
import { type PostResult, oauthErrorCode, postWithTimeout } from '../oauth'
import { defaultSleep } from '../sleep'

const DEFAULT_INTERVAL_SECONDS = 5
const MAX_CONSECUTIVE_TRANSPORT_ERRORS = 5

function failedUpstream(status: number): UpstreamError {
  return new UpstreamError({
    code: 'device_login_failed',
    message: `Device-code login failed upstream (status ${status}). Request a fresh code with \`airelays login --device\`.`,
    upstreamStatus: status,
  })
}

function transportFailed(error: unknown, what: string, timeoutMs: number): UpstreamError {
  const transport = errorFromTransport(error, what, timeoutMs)
  return new UpstreamError({
    code: 'device_login_failed',
    message: `Device-code login failed: ${transport.message}`,
    kind: 'transient',
    cause: error,
  })
}

function unexpectedPayload(what: string, status: number): UpstreamError {
  return new UpstreamError({
    code: 'device_login_unexpected_payload',
    message: `Device-code login returned an unexpected payload (${what}).`,
    upstreamStatus: status,
  })
}

function parseInterval(value: unknown): number {
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN
  return Number.isFinite(parsed) && parsed > 0 ? parsed : DEFAULT_INTERVAL_SECONDS
}

/** Resolved options and the resources of one device login (its dispatcher and abort controller). */
export interface DeviceSession {
  readonly issuerUrl: string
  readonly clientId: string
  readonly headers: Record<string, string>
  readonly clock: Clock
  readonly sleep: Sleep
  readonly timeoutSeconds: number
  readonly requestTimeoutMs: number
  readonly dispatcher: Dispatcher
  /** Aborted by `cancel()` or the caller's signal: stops sleeps, polls and the exchange. */
  readonly controller: AbortController
  /** POST JSON to `{issuer}{path}`. */
  post(path: string, body: unknown): Promise<PostResult>
  /** Close the login's own dispatcher (a caller-supplied one is left open). */
  release(): Promise<void>
}

/** What the issuer handed out for this login. */
export interface UserCode {
  userCode: string
  deviceAuthId: string
  intervalSeconds: number
}

/** The approved login, ready for the code exchange. */
export interface Approval {
  authorizationCode: string
  codeVerifier: string
}

/** Polling progress (the interval grows after each `slow_down`). */
export interface PollProgress {
  interval: number
  polls: number
  transportFailures: number
}

export function openDeviceSession(options: DeviceLoginOptions): DeviceSession {
  const issuerUrl = trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL)
  const timeoutSeconds = options.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS
  const requestTimeoutMs = options.requestTimeoutMs ?? OAUTH_TIMEOUT_MS
  if (!(timeoutSeconds > 0)) throw new RangeError('loginTimeoutSeconds must be a positive number')
  const ownsDispatcher = !options.dispatcher
  const dispatcher = options.dispatcher ?? createDefaultDispatcher(requestTimeoutMs, options.proxy)
  const headers = { originator: options.originator ?? DEFAULT_ORIGINATOR }
  const controller = new AbortController()
  return {
    issuerUrl,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    headers,
    clock: options.clock ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    timeoutSeconds,
    requestTimeoutMs,
    dispatcher,
    controller,
    post: (path, body) =>
      postWithTimeout({
        dispatcher,
        url: `${issuerUrl}${path}`,
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: requestTimeoutMs,
        signal: controller.signal,
      }),
    release: async () => {
      if (ownsDispatcher) await dispatcher.close().catch(() => {})
    },
  }
}

/** Step 1: ask the issuer for a user code. */
export async function requestUserCode(session: DeviceSession): Promise<UserCode> {
  let result: PostResult
  try {
    result = await session.post('/api/accounts/deviceauth/usercode', { client_id: session.clientId })
  } catch (error) {
    throw transportFailed(error, 'Device-code request', session.requestTimeoutMs)
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
  const userCode = record.user_code ?? record.usercode
  if (typeof userCode !== 'string' || userCode.length === 0) {
    throw unexpectedPayload('no user code', result.status)
  }
  if (typeof record.device_auth_id !== 'string' || record.device_auth_id.length === 0) {
    throw unexpectedPayload('no device_auth_id', result.status)
  }
  return { userCode, deviceAuthId: record.device_auth_id, intervalSeconds: parseInterval(record.interval) }
}

/** One poll; `null` for a transport failure that is tolerated (fewer than five in a row). */
export async function pollOnce(
  session: DeviceSession,
  code: UserCode,
  progress: PollProgress,
): Promise<PostResult | null> {
  let result: PostResult
  try {
    result = await session.post('/api/accounts/deviceauth/token', {
      device_auth_id: code.deviceAuthId,
      user_code: code.userCode,
    })
  } catch (error) {
    if (session.controller.signal.aborted) throw error
    progress.transportFailures++
    if (progress.transportFailures >= MAX_CONSECUTIVE_TRANSPORT_ERRORS) {
      throw transportFailed(error, 'Device-code polling', session.requestTimeoutMs)
    }
    return null
  }
  progress.transportFailures = 0
  progress.polls++
  return result
}

/** A poll answer: still pending (maybe asking to slow down), or approved; anything else throws. */
export function readPoll(result: PostResult): { slowDown: boolean } | { approval: Approval } {
  const payload = parseJsonSafe(result.text)
  const errorCode = oauthErrorCode(payload)
  const slowDown = result.status === 429 || errorCode === 'slow_down'
  if (slowDown || result.status === 403 || result.status === 404 || errorCode === 'authorization_pending') {
    return { slowDown }
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
    throw unexpectedPayload('no authorization code', result.status)
  }
  return { approval: { authorizationCode, codeVerifier } }
}

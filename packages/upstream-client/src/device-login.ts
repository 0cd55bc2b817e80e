import type { Dispatcher } from 'undici'
import {
  type Approval,
  type DeviceSession,
  type PollProgress,
  type UserCode,
  openDeviceSession,
  pollOnce,
  readPoll,
  requestUserCode,
} from './_internal/login/device-issuer'
import { exchangeCode } from './_internal/oauth'
import { UpstreamError, isUpstreamError } from './errors'
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

const SLOW_DOWN_STEP_SECONDS = 5

function timeoutError(timeoutSeconds: number): UpstreamError {
  return new UpstreamError({
    code: 'device_login_timeout',
    message: `Device-code login was not approved within ${Math.max(1, Math.floor(timeoutSeconds / 60))} minute(s). The code may have expired or the request was denied; run \`airelays login --device\` to get a fresh code.`,
    status: 408,
  })
}

/** When polling gives up, and who to tell while it waits. */
interface PollWindow {
  deadline: number
  expiresAt: Date
  onPending: ((info: DevicePendingInfo) => void) | undefined
}

/**
 * Start a device-code login: asks the issuer for a user code (404 → `device_login_disabled`,
 * "Device-code login is not enabled for this server.").
 */
export async function startDeviceLogin(options: DeviceLoginOptions = {}): Promise<DeviceLogin> {
  const session = openDeviceSession(options)
  let code: UserCode
  try {
    code = await requestUserCode(session)
  } catch (error) {
    await session.release()
    throw error
  }
  return deviceLogin(session, code)
}

/** The login handed to the caller: polling starts with `waitForCompletion()`. */
function deviceLogin(session: DeviceSession, code: UserCode): DeviceLogin {
  const { controller } = session
  const deadline = session.clock() + session.timeoutSeconds * 1000
  const expiresAt = new Date(deadline)
  let completion: Promise<StoredAuth> | null = null
  const waitForCompletion = (waitOptions: DeviceWaitOptions = {}): Promise<StoredAuth> => {
    if (completion) return completion
    const external = waitOptions.signal
    const onExternalAbort = (): void => controller.abort()
    if (external?.aborted) controller.abort()
    else external?.addEventListener('abort', onExternalAbort, { once: true })
    const window: PollWindow = { deadline, expiresAt, onPending: waitOptions.onPending }
    completion = waitForApproval(session, code, window)
      .then((approval) => exchangeApproval(session, approval))
      .catch((error: unknown) => {
        if (controller.signal.aborted) {
          throw new UpstreamError({
            code: 'login_cancelled',
            message: 'Device-code login was cancelled.',
            status: 499,
          })
        }
        if (isUpstreamError(error)) throw error
        throw new UpstreamError({
          code: 'device_login_failed',
          message: 'Device-code login failed.',
          cause: error,
        })
      })
      .finally(async () => {
        external?.removeEventListener('abort', onExternalAbort)
        await session.release()
      })
    return completion
  }
  return {
    verificationUrl: `${session.issuerUrl}/codex/device`,
    userCode: code.userCode,
    expiresAt,
    intervalSeconds: code.intervalSeconds,
    waitForCompletion,
    cancel: async () => {
      controller.abort()
      if (completion) await completion.catch(() => {})
      else await session.release()
    },
  }
}

/** Step 2: poll until the user approved, the deadline passed, or the issuer refused. */
async function waitForApproval(
  session: DeviceSession,
  code: UserCode,
  window: PollWindow,
): Promise<Approval> {
  const progress: PollProgress = { interval: code.intervalSeconds, polls: 0, transportFailures: 0 }
  for (;;) {
    await sleepUntilNextPoll(session, progress.interval, window.deadline)
    const result = await pollOnce(session, code, progress)
    if (result === null) continue
    const outcome = readPoll(result)
    if ('approval' in outcome) return outcome.approval
    if (outcome.slowDown) progress.interval += SLOW_DOWN_STEP_SECONDS
    try {
      window.onPending?.({
        polls: progress.polls,
        intervalSeconds: progress.interval,
        slowDown: outcome.slowDown,
        expiresAt: window.expiresAt,
        remainingSeconds: Math.max(0, Math.floor((window.deadline - session.clock()) / 1000)),
      })
    } catch {
      // A failing progress callback must not end the login.
    }
  }
}

/** Wait one interval; throws `device_login_timeout` when the deadline comes first. */
async function sleepUntilNextPoll(session: DeviceSession, interval: number, deadline: number): Promise<void> {
  const remaining = deadline - session.clock()
  if (remaining <= 0) throw timeoutError(session.timeoutSeconds)
  if (remaining < interval * 1000) {
    // One more poll would come sooner than the interval allows (RFC 8628 §3.5): wait out the
    // deadline instead and give up.
    await session.sleep(remaining, session.controller.signal)
    throw timeoutError(session.timeoutSeconds)
  }
  await session.sleep(interval * 1000, session.controller.signal)
}

/** Step 3: exchange the approved code for credentials. */
function exchangeApproval(session: DeviceSession, approval: Approval): Promise<StoredAuth> {
  return exchangeCode({
    dispatcher: session.dispatcher,
    issuerUrl: session.issuerUrl,
    clientId: session.clientId,
    code: approval.authorizationCode,
    codeVerifier: approval.codeVerifier,
    redirectUri: `${session.issuerUrl}/deviceauth/callback`,
    headers: session.headers,
    timeoutMs: session.requestTimeoutMs,
    nowMs: session.clock,
    signal: session.controller.signal,
  })
}

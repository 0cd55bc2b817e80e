import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import {
  BROWSER_LOGIN_FALLBACK_PORT,
  BROWSER_LOGIN_PORT,
  DEFAULT_CLIENT_ID,
  DEFAULT_ISSUER_URL,
  DEFAULT_LOGIN_TIMEOUT_SECONDS,
  DEFAULT_ORIGINATOR,
  OAUTH_TIMEOUT_MS,
  trimBaseUrl,
} from './_internal/constants'
import { createDefaultDispatcher, redact, truncate } from './_internal/http'
import { exchangeCode } from './_internal/oauth'
import { type CallbackHandler, bindCallbackServers, sendPage } from './_internal/login/callback-server'
import { BrowserLoginSession } from './_internal/login/browser-session'
import { buildAuthorizeUrl, createPkce, createState } from './_internal/pkce'
import { UpstreamError, isUpstreamError } from './errors'
import { decodeJwtClaims } from './jwt'
import type { ProxySettings } from './proxy'
import type { Clock, StoredAuth } from './types'

/** Options of `startBrowserLogin`. */
export interface BrowserLoginOptions {
  /** OAuth issuer base URL. Env fallback (resolved by @airelays/config): `AIRELAYS_ISSUER_BASE_URL`. @default 'https://auth.openai.com' */
  issuerUrl?: string
  /** OAuth client id. Env fallback (via @airelays/config): `AIRELAYS_CLIENT_ID`. @default 'app_EMoamEEZ73f0CkXaXp7hrann' */
  clientId?: string
  /** `originator` authorize parameter and header. @default 'codex_cli_rs' */
  originator?: string
  /** Restrict the login to these workspace (account) ids, comma-separated (`allowed_workspace_id`). @default undefined */
  workspaceId?: string
  /** Callback port; 0 picks any free port (tests). @default 1455 */
  port?: number
  /** Port tried when `port` stays busy after asking its owner to cancel; `null` disables. @default 1457 */
  fallbackPort?: number | null
  /** How long to wait for the browser, in seconds. Env fallback (via @airelays/config): `AIRELAYS_LOGIN_TIMEOUT_SECONDS`. @default 900 */
  loginTimeoutSeconds?: number
  /** Timeout of the code exchange request, in milliseconds. @default 30000 */
  requestTimeoutMs?: number
  /** undici dispatcher for the code exchange. @default a per-login `EnvHttpProxyAgent` (closed afterwards) */
  dispatcher?: Dispatcher
  /** Proxy overrides for the default dispatcher. @default HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment */
  proxy?: ProxySettings
  /** Epoch-millisecond clock (used for `last_refresh`). @default Date.now */
  clock?: Clock
}

/** A browser login in progress: show `authorizeUrl` to the user, then await `waitForCompletion()`. */
export interface BrowserLogin {
  /** `{issuer}/oauth/authorize?…` to open in a browser on this machine. */
  readonly authorizeUrl: string
  /** Port the callback server listens on (loopback only). */
  readonly port: number
  /** `http://localhost:{port}/auth/callback`. */
  readonly redirectUri: string
  /**
   * Resolves with the new credentials once the browser returned and the code was exchanged
   * (the caller persists them); rejects with an `UpstreamError` (login_state_mismatch,
   * login_failed, code_exchange_failed, login_workspace_mismatch, login_timeout,
   * login_cancelled). The callback server is closed before it settles.
   */
  waitForCompletion(): Promise<StoredAuth>
  /** Stop waiting; `waitForCompletion()` rejects with `login_cancelled`. Resolves once the server is closed. */
  cancel(): Promise<void>
}

const INVALID_STATE_MESSAGE = 'Login did not complete or returned an invalid state value.'

/** `BrowserLoginOptions` with defaults applied. */
interface BrowserSettings {
  issuerUrl: string
  clientId: string
  originator: string
  clock: Clock
  timeoutSeconds: number
  requestTimeoutMs: number
  workspaceId: string | undefined
}

/** What the code exchange needs. */
interface CodeExchange {
  settings: BrowserSettings
  dispatcher: Dispatcher
  codeVerifier: string
  redirectUri: string
  signal: AbortSignal
}

/** What the callback handler needs. */
interface CallbackContext {
  session: BrowserLoginSession
  /** The `state` sent with the authorize URL. */
  expectedState: string
  exchange: (code: string) => Promise<StoredAuth>
}

/**
 * Start a browser (authorization code + PKCE) login: binds the callback server on loopback
 * (127.0.0.1, plus ::1 when available), falling back from 1455 to 1457, and returns the URL to
 * open. Rejects with `login_port_unavailable` when no port can be bound.
 */
export async function startBrowserLogin(options: BrowserLoginOptions = {}): Promise<BrowserLogin> {
  const settings = resolveBrowserSettings(options)
  const pkce = createPkce()
  const state = createState()
  // Requests that arrive while the servers are still binding get a 503; then the real handler takes over.
  let handler: CallbackHandler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Starting')
  }
  const servers = await bindCallbackServers({
    port: options.port ?? BROWSER_LOGIN_PORT,
    fallbackPort: options.fallbackPort === undefined ? BROWSER_LOGIN_FALLBACK_PORT : options.fallbackPort,
    handler: (req, res) => handler(req, res),
  })
  const redirectUri = `http://localhost:${servers.port}/auth/callback`
  const authorizeUrl = buildAuthorizeUrl({
    issuerUrl: settings.issuerUrl,
    clientId: settings.clientId,
    redirectUri,
    codeChallenge: pkce.challenge,
    state,
    originator: settings.originator,
    allowedWorkspaceId: settings.workspaceId,
  })
  const ownsDispatcher = !options.dispatcher
  const dispatcher = options.dispatcher ?? createDefaultDispatcher(settings.requestTimeoutMs, options.proxy)
  const session = new BrowserLoginSession({
    timeoutSeconds: settings.timeoutSeconds,
    release: async () => {
      await servers.close()
      if (ownsDispatcher) await dispatcher.close().catch(() => {})
    },
  })
  const exchange: CodeExchange = {
    settings,
    dispatcher,
    codeVerifier: pkce.verifier,
    redirectUri,
    signal: session.exchangeSignal,
  }
  const callback: CallbackContext = {
    session,
    expectedState: state,
    exchange: (code) => exchangeForAuth(exchange, code),
  }
  handler = (req, res) => handleCallback(callback, req, res)
  return {
    authorizeUrl,
    port: servers.port,
    redirectUri,
    waitForCompletion: () => session.result,
    cancel: async () => {
      await session.finish({
        error: new UpstreamError({
          code: 'login_cancelled',
          message: 'Browser login was cancelled.',
          status: 499,
        }),
      })
      await session.shutdown()
    },
  }
}

function resolveBrowserSettings(options: BrowserLoginOptions): BrowserSettings {
  const timeoutSeconds = options.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS
  if (!(timeoutSeconds > 0)) throw new RangeError('loginTimeoutSeconds must be a positive number')
  return {
    issuerUrl: trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL),
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    originator: options.originator ?? DEFAULT_ORIGINATOR,
    clock: options.clock ?? Date.now,
    timeoutSeconds,
    requestTimeoutMs: options.requestTimeoutMs ?? OAUTH_TIMEOUT_MS,
    workspaceId: options.workspaceId,
  }
}

/** Exchange the authorization code, then enforce the workspace restriction. */
async function exchangeForAuth(exchange: CodeExchange, code: string): Promise<StoredAuth> {
  const { settings } = exchange
  const auth = await exchangeCode({
    dispatcher: exchange.dispatcher,
    issuerUrl: settings.issuerUrl,
    clientId: settings.clientId,
    code,
    codeVerifier: exchange.codeVerifier,
    redirectUri: exchange.redirectUri,
    headers: { originator: settings.originator },
    timeoutMs: settings.requestTimeoutMs,
    nowMs: settings.clock,
    signal: exchange.signal,
  })
  if (settings.workspaceId) checkWorkspace(auth, settings.workspaceId)
  return auth
}

function checkWorkspace(auth: StoredAuth, workspaceId: string): void {
  const allowed = workspaceId
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
  const accountId = auth.tokens.account_id ?? decodeJwtClaims(auth.tokens.id_token)?.accountId ?? null
  if (!accountId || !allowed.includes(accountId)) {
    throw new UpstreamError({
      code: 'login_workspace_mismatch',
      message: `Login is restricted to workspace id ${workspaceId}.`,
      status: 403,
    })
  }
}

/** Answer one request to the callback server. */
function handleCallback(callback: CallbackContext, req: IncomingMessage, res: ServerResponse): void {
  const { session } = callback
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname !== '/auth/callback' && url.pathname !== '/cancel') {
    sendPage(res, { status: 404, title: null, body: 'Not Found' })
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET')
    sendPage(res, { status: 405, title: null, body: 'Method Not Allowed' })
    return
  }
  if (url.pathname === '/cancel') {
    answerCancel(session, res)
    return
  }
  if (session.settled || session.callbackInFlight) {
    const body = 'This login has already finished. Return to the terminal.'
    sendPage(res, { status: 409, title: 'Login already handled', body })
    return
  }
  const checked = readCallback(url.searchParams, callback.expectedState)
  if ('error' in checked) {
    failWith(session, res, checked.error)
    return
  }
  session.callbackInFlight = true
  callback.exchange(checked.code).then(
    (auth) => {
      const page = { status: 200, title: 'Login completed', body: 'You can return to the terminal.' }
      sendPage(res, page, () => void session.finish({ auth }))
    },
    (error: unknown) => {
      const failure = isUpstreamError(error)
        ? error
        : new UpstreamError({ code: 'code_exchange_failed', message: 'Code exchange failed.', cause: error })
      failWith(session, res, failure)
    },
  )
}

/** Another login on this port asked us to stop (`GET /cancel`). */
function answerCancel(session: BrowserLoginSession, res: ServerResponse): void {
  const error = new UpstreamError({
    code: 'login_cancelled',
    message: 'Browser login was cancelled by another login attempt.',
    status: 499,
  })
  const body = 'This AIRelays login was cancelled. You can close this window.'
  sendPage(res, { status: 200, title: 'Login cancelled', body }, () => {
    void session.finish({ error })
  })
}

/** The authorization code of a callback, or why the callback is refused. */
function readCallback(
  params: URLSearchParams,
  expectedState: string,
): { code: string } | { error: UpstreamError } {
  const stateMismatch = (): { error: UpstreamError } => ({
    error: new UpstreamError({ code: 'login_state_mismatch', message: INVALID_STATE_MESSAGE, status: 400 }),
  })
  const returnedState = params.get('state')
  if (!returnedState || !sameString(returnedState, expectedState)) return stateMismatch()
  const errorParam = params.get('error')
  if (errorParam) {
    const description = params.get('error_description') ?? ''
    const entitlement = /missing_codex_entitlement/i.test(description)
      ? 'Codex is not enabled for your workspace'
      : truncate(redact(description), 300)
    const message = `Login failed: ${truncate(redact(errorParam), 100)}${entitlement ? ` (${entitlement})` : ''}`
    return { error: new UpstreamError({ code: 'login_failed', message, status: 401 }) }
  }
  const code = params.get('code')
  return code ? { code } : stateMismatch()
}

/** Answer with the failure page, then end the login with `error`. */
function failWith(session: BrowserLoginSession, res: ServerResponse, error: UpstreamError): void {
  // Settle first so a second callback cannot start another exchange, close after the page.
  session.callbackInFlight = true
  sendPage(
    res,
    { status: 400, title: 'Login failed', body: error.message },
    () => void session.finish({ error }),
  )
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

import { timingSafeEqual } from 'node:crypto'
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
  get as httpGet,
} from 'node:http'
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
const BUSY_RETRIES = 5
const BUSY_RETRY_DELAY_MS = 200

function portBusyMessage(port: number): string {
  return `AIRelays could not bind localhost:${port} for browser login. Another login flow may already be using that port. Retry later or use \`airelays login --device\`.`
}

/**
 * Start a browser (authorization code + PKCE) login: binds the callback server on loopback
 * (127.0.0.1, plus ::1 when available), falling back from 1455 to 1457, and returns the URL to
 * open. Rejects with `login_port_unavailable` when no port can be bound.
 */
export async function startBrowserLogin(options: BrowserLoginOptions = {}): Promise<BrowserLogin> {
  const issuerUrl = trimBaseUrl(options.issuerUrl ?? DEFAULT_ISSUER_URL)
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const originator = options.originator ?? DEFAULT_ORIGINATOR
  const clock = options.clock ?? Date.now
  const timeoutSeconds = options.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS
  const requestTimeoutMs = options.requestTimeoutMs ?? OAUTH_TIMEOUT_MS
  if (!(timeoutSeconds > 0)) throw new RangeError('loginTimeoutSeconds must be a positive number')
  const pkce = createPkce()
  const state = createState()

  let onRequest: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Starting')
  }
  const servers = await bindCallbackServers(
    options.port ?? BROWSER_LOGIN_PORT,
    options.fallbackPort === undefined ? BROWSER_LOGIN_FALLBACK_PORT : options.fallbackPort,
    (req, res) => onRequest(req, res),
  )
  const port = servers.port
  const redirectUri = `http://localhost:${port}/auth/callback`
  const authorizeUrl = buildAuthorizeUrl({
    issuerUrl,
    clientId,
    redirectUri,
    codeChallenge: pkce.challenge,
    state,
    originator,
    allowedWorkspaceId: options.workspaceId,
  })

  const ownsDispatcher = !options.dispatcher
  const dispatcher = options.dispatcher ?? createDefaultDispatcher(requestTimeoutMs, options.proxy)
  const exchangeAbort = new AbortController()

  let settled = false
  let callbackInFlight = false
  let resolveResult!: (auth: StoredAuth) => void
  let rejectResult!: (error: unknown) => void
  const result = new Promise<StoredAuth>((resolve, reject) => {
    resolveResult = resolve
    rejectResult = reject
  })
  // Callers that never await must not see an unhandled rejection.
  result.catch(() => {})

  let closing: Promise<void> | null = null
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(timer)
      exchangeAbort.abort()
      await servers.close()
      if (ownsDispatcher) await dispatcher.close().catch(() => {})
    })()
    return closing
  }

  const finish = async (outcome: { auth: StoredAuth } | { error: UpstreamError }): Promise<void> => {
    if (settled) return
    settled = true
    await shutdown()
    if ('auth' in outcome) resolveResult(outcome.auth)
    else rejectResult(outcome.error)
  }

  const timer = setTimeout(() => {
    const minutes = Math.max(1, Math.floor(timeoutSeconds / 60))
    void finish({
      error: new UpstreamError({
        code: 'login_timeout',
        message: `Browser login did not complete within ${minutes} minute(s). Run \`airelays login\` again, or use \`airelays login --device\`.`,
        status: 408,
      }),
    })
  }, timeoutSeconds * 1000)

  const exchange = async (code: string): Promise<StoredAuth> => {
    const auth = await exchangeCode({
      dispatcher,
      issuerUrl,
      clientId,
      code,
      codeVerifier: pkce.verifier,
      redirectUri,
      headers: { originator },
      timeoutMs: requestTimeoutMs,
      nowMs: clock,
      signal: exchangeAbort.signal,
    })
    if (options.workspaceId) {
      const allowed = options.workspaceId
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean)
      const accountId = auth.tokens.account_id ?? decodeJwtClaims(auth.tokens.id_token)?.accountId ?? null
      if (!accountId || !allowed.includes(accountId)) {
        throw new UpstreamError({
          code: 'login_workspace_mismatch',
          message: `Login is restricted to workspace id ${options.workspaceId}.`,
          status: 403,
        })
      }
    }
    return auth
  }

  const failWith = (res: ServerResponse, error: UpstreamError): void => {
    // Settle first so a second callback cannot start another exchange, close after the page.
    callbackInFlight = true
    sendPage(res, 400, 'Login failed', error.message, () => void finish({ error }))
  }

  onRequest = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/auth/callback' && url.pathname !== '/cancel') {
      sendPage(res, 404, null, 'Not Found')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET')
      sendPage(res, 405, null, 'Method Not Allowed')
      return
    }
    if (url.pathname === '/cancel') {
      const error = new UpstreamError({
        code: 'login_cancelled',
        message: 'Browser login was cancelled by another login attempt.',
        status: 499,
      })
      sendPage(
        res,
        200,
        'Login cancelled',
        'This AIRelays login was cancelled. You can close this window.',
        () => {
          void finish({ error })
        },
      )
      return
    }
    if (settled || callbackInFlight) {
      sendPage(res, 409, 'Login already handled', 'This login has already finished. Return to the terminal.')
      return
    }
    const params = url.searchParams
    const returnedState = params.get('state')
    if (!returnedState || !sameString(returnedState, state)) {
      failWith(
        res,
        new UpstreamError({ code: 'login_state_mismatch', message: INVALID_STATE_MESSAGE, status: 400 }),
      )
      return
    }
    const errorParam = params.get('error')
    if (errorParam) {
      const description = params.get('error_description') ?? ''
      const entitlement = /missing_codex_entitlement/i.test(description)
        ? 'Codex is not enabled for your workspace'
        : truncate(redact(description), 300)
      const message = `Login failed: ${truncate(redact(errorParam), 100)}${entitlement ? ` (${entitlement})` : ''}`
      failWith(res, new UpstreamError({ code: 'login_failed', message, status: 401 }))
      return
    }
    const code = params.get('code')
    if (!code) {
      failWith(
        res,
        new UpstreamError({ code: 'login_state_mismatch', message: INVALID_STATE_MESSAGE, status: 400 }),
      )
      return
    }
    callbackInFlight = true
    exchange(code).then(
      (auth) => {
        sendPage(res, 200, 'Login completed', 'You can return to the terminal.', () => void finish({ auth }))
      },
      (error: unknown) => {
        const failure = isUpstreamError(error)
          ? error
          : new UpstreamError({
              code: 'code_exchange_failed',
              message: 'Code exchange failed.',
              cause: error,
            })
        failWith(res, failure)
      },
    )
  }

  return {
    authorizeUrl,
    port,
    redirectUri,
    waitForCompletion: () => result,
    cancel: async () => {
      await finish({
        error: new UpstreamError({
          code: 'login_cancelled',
          message: 'Browser login was cancelled.',
          status: 499,
        }),
      })
      await shutdown()
    },
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/** Write a small page that ends the exchange (`Connection: close`, never cached, no referrer). */
function sendPage(
  res: ServerResponse,
  status: number,
  title: string | null,
  body: string,
  then?: () => void,
): void {
  let called = false
  const done = (): void => {
    if (called) return
    called = true
    then?.()
  }
  if (res.headersSent || res.destroyed) {
    done()
    return
  }
  res.once('close', done)
  const headers = {
    connection: 'close',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  }
  if (title === null) {
    res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
    res.end(body, done)
    return
  }
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>AIRelays - ${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`
  res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8' })
  res.end(html, done)
}

interface BoundServers {
  port: number
  close(): Promise<void>
}

async function bindCallbackServers(
  port: number,
  fallbackPort: number | null,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<BoundServers> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`Invalid callback port: ${port}`)
  let bound = await tryBind(port, handler)
  if (!bound && port !== 0) {
    // Like Codex: ask a previous login server on that port to stop, then retry a few times.
    await requestCancel(port)
    for (let i = 0; i < BUSY_RETRIES && !bound; i++) {
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_DELAY_MS))
      bound = await tryBind(port, handler)
    }
  }
  if (!bound && fallbackPort !== null && fallbackPort !== port) {
    bound = await tryBind(fallbackPort, handler)
  }
  if (!bound) {
    throw new UpstreamError({ code: 'login_port_unavailable', message: portBusyMessage(port), status: 503 })
  }
  return bound
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ port, host, exclusive: true })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections()
      resolve()
      return
    }
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Bind 127.0.0.1:port (required) and [::1]:samePort (optional); null when the port is busy. */
async function tryBind(
  port: number,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<BoundServers | null> {
  const v4 = createServer(handler)
  v4.keepAliveTimeout = 1000
  try {
    await listen(v4, port, '127.0.0.1')
  } catch (error) {
    await closeServer(v4)
    if (
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
      (error as NodeJS.ErrnoException).code === 'EACCES'
    ) {
      return null
    }
    throw error
  }
  const address = v4.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  const servers: Server[] = [v4]
  const v6 = createServer(handler)
  v6.keepAliveTimeout = 1000
  try {
    await listen(v6, actualPort, '::1')
    servers.push(v6)
  } catch {
    // No IPv6 loopback here (or the port is taken on ::1): 127.0.0.1 is enough.
    await closeServer(v6)
  }
  return {
    port: actualPort,
    close: async () => {
      await Promise.all(servers.map(closeServer))
    },
  }
}

/** Best-effort `GET http://127.0.0.1:{port}/cancel` (never through a proxy), 1 s timeout. */
function requestCancel(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/cancel', timeout: 1000, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve())
      res.on('error', () => resolve())
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve())
    req.on('close', () => resolve())
  })
}

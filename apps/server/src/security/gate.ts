import { tokenFingerprint } from '@airelays/auth-store'
import { invalidToken, limiterRefusal } from '../errors/factories'
import { boundedHeaderRecord, clip } from '../logging/request-records'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import { presentedToken, tokensMatch } from './bearer'
import { checkBrowserHeaders } from './origin-guard'

/**
 * What the gate reads of a request: a {@link RelayRequest}, or the WebSocket handshake of
 * `websocket/handshake.ts`, which has no h3 event.
 */
export type GatedRequest = Pick<
  RelayRequest,
  'id' | 'logged' | 'method' | 'path' | 'fullPath' | 'clientIp' | 'holdSlot'
> & {
  readonly event: { readonly req: { readonly headers: Headers } }
}

/** Admits a `/v1` request or throws its 403 / 429 / 401 relay error. */
export type SecurityGate = (req: GatedRequest) => Promise<void>

/**
 * The security gate of every path but the public pages (`/`, `/healthz`): `/v1`, `/no-tools/v1`
 * and every unknown path alike, so nothing answers (or logs more than a bounded record) without
 * the token (issue 26, item 1). First the browser checks (`Origin`,
 * `Sec-Fetch-Site`, `Host`; 403), then the reference's order: IP block, concurrency, token bucket
 * (all three in @airelays/ratelimit's `admit`), then the bearer token (constant-time). On success
 * the request holds a concurrency slot until it finishes — streams included. Claude Code's no-op
 * `/api/*` side routes get the browser checks and the limiter but no token check.
 */
export function createSecurityGate(rt: RelayRuntime): SecurityGate {
  return async (req) => {
    // Whether the relay listens on loopback only: judged once at start (security/bind-address.ts).
    browserGate(rt, req, (await rt.bind).loopbackOnly)
    // Claude Code's side routes (`/api/hello`, `/api/event_logging/batch`, `…/v2/batch`) answer nothing and may be
    // sent without the token (telemetry): no token check, so they never count as failed logins.
    const requireAuth = rt.settings.config.security.require_bearer_auth && !isClaudeCodeSideRoute(req.path)
    let presented: string | null = null
    let credentialValid = false
    if (requireAuth) {
      presented = presentedToken(req.event.req.headers)
      // The token file as it is now: just after `airelays token rotate` the old token is refused
      // and the new one accepted, never counted as a failure (issue 26, item 9).
      const { token } = await rt.tokens.current()
      credentialValid = tokensMatch(presented, token)
    }
    // Reading the relay's own state with the right token (or in open mode) takes no bucket token:
    // a dashboard clicking through its pages must not spend the agents' rate limit.
    const free = (credentialValid || !requireAuth) && isLocalStateRead(req)
    const admission = rt.limiter.admit(req.clientIp, { credentialValid, free })
    if (!admission.ok) {
      const { rejection } = admission
      if (req.logged) {
        rt.log.write(req.id, 'endpoint_rejected', {
          reason: rejection.reason,
          code: rejection.code,
          method: clip(req.method),
          path: clip(req.fullPath),
          client_ip: req.clientIp,
          retry_after_seconds: rejection.retryAfterSeconds,
        })
      }
      throw limiterRefusal(rejection)
    }
    if (requireAuth && !credentialValid) {
      admission.release()
      const failure = rt.limiter.recordFailure(req.clientIp)
      // Recorded on monitoring routes too (they log nothing when answered); bounded to about
      // 2 KiB whatever the request carries, so refused requests cannot fill the disk.
      rt.log.write(req.id, 'endpoint_auth_failed', {
        method: clip(req.method),
        path: clip(req.fullPath),
        client_ip: req.clientIp,
        headers: boundedHeaderRecord(req.event.req.headers),
        token_fingerprint: presented === null ? null : tokenFingerprint(presented),
        failed_attempts: failure.attempts,
        blocked: failure.blocked,
        block_seconds: failure.blockSeconds,
      })
      throw invalidToken()
    }
    req.holdSlot(admission.release)
  }
}

/**
 * The browser checks (see `origin-guard.ts`): a foreign `Origin`, `Sec-Fetch-Site: cross-site`, or
 * a non-loopback `Host` on a loopback-only relay gets 403 before anything else is looked at. Never
 * counted as a failed authentication and never touching the limiter.
 */
function browserGate(rt: RelayRuntime, req: GatedRequest, loopbackOnly: boolean): void {
  const headers = req.event.req.headers
  const origin = headers.get('origin')
  const host = headers.get('host')
  const secFetchSite = headers.get('sec-fetch-site')
  const rejection = checkBrowserHeaders({ origin, host, secFetchSite }, loopbackOnly)
  if (rejection === null) return
  if (req.logged) {
    rt.log.write(req.id, 'endpoint_rejected', {
      reason: rejection.reason,
      method: clip(req.method),
      path: clip(req.fullPath),
      client_ip: req.clientIp,
      origin: origin === null ? null : clip(origin),
      host: host === null ? null : clip(host),
      sec_fetch_site: secFetchSite === null ? null : clip(secFetchSite),
    })
  }
  throw rejection.error
}

/**
 * Claude Code's side routes, answered without the token: exactly the registered paths, so no other
 * path under `/api/` answers (even a 404) without it.
 */
const CLAUDE_CODE_SIDE_ROUTES: ReadonlySet<string> = new Set([
  '/api/hello',
  '/api/event_logging/batch',
  '/api/event_logging/v2/batch',
])

function isClaudeCodeSideRoute(path: string): boolean {
  return CLAUDE_CODE_SIDE_ROUTES.has(path.length > 1 ? path.replace(/\/+$/, '') : path)
}

/** `GET`/`HEAD` under `/v1/relay/` (status, traffic, accounts, logging): local, cheap, polled. */
function isLocalStateRead(req: GatedRequest): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /^(?:\/no-tools)?\/v1\/relay\//.test(req.path)
}

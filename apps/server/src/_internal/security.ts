import { tokenFingerprint } from '@airelays/auth-store'
import type { H3Event } from 'h3'
import { RelayError } from '../errors'
import { bearerFromHeader, tokensMatch } from './bearer'
import type { RequestState } from './context'
import { checkBrowserHeaders, isLoopbackBind } from './origin-guard'
import type { RelayRuntime } from './runtime'

/** The 401 of a missing or wrong relay token (the reference's message and code). */
export function invalidTokenError(): RelayError {
  return new RelayError({
    status: 401,
    type: 'authentication_error',
    code: 'invalid_api_key',
    message: 'Missing or invalid AIRelays bearer token.',
    headers: { 'www-authenticate': 'Bearer' },
  })
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, key) => {
    out[key] = value
  })
  return out
}

const loopbackBinds = new WeakMap<RelayRuntime, boolean>()

/** Whether the relay listens on loopback only (`config.server.host`; `serveRelay` puts its `host` there). */
function loopbackOnly(rt: RelayRuntime): boolean {
  let value = loopbackBinds.get(rt)
  if (value === undefined) {
    value = isLoopbackBind(rt.settings.config.server.host)
    loopbackBinds.set(rt, value)
  }
  return value
}

/**
 * The browser checks (see `origin-guard.ts`): a foreign `Origin`, `Sec-Fetch-Site: cross-site`, or
 * a non-loopback `Host` on a loopback-only relay gets 403 before anything else is looked at. Never
 * counted as a failed authentication and never touching the limiter.
 */
function browserGate(rt: RelayRuntime, event: H3Event, state: RequestState): void {
  const headers = event.req.headers
  const origin = headers.get('origin')
  const host = headers.get('host')
  const secFetchSite = headers.get('sec-fetch-site')
  const rejection = checkBrowserHeaders({ origin, host, secFetchSite }, loopbackOnly(rt))
  if (rejection === null) return
  if (state.logged) {
    rt.log.write(state.id, 'endpoint_rejected', {
      reason: rejection.reason,
      method: state.method,
      path: state.basePath + state.path,
      client_ip: state.clientIp,
      origin,
      host,
      sec_fetch_site: secFetchSite,
    })
  }
  throw rejection.error
}

/**
 * The security gate of `/v1` and `/no-tools/v1`: first the browser checks (`Origin`,
 * `Sec-Fetch-Site`, `Host`; 403), then the reference's order: IP block, concurrency, token bucket
 * (all three in @airelays/ratelimit's `admit`), then the bearer token (constant-time). On success
 * the request holds a concurrency slot (`state.release`) until it finishes — streams included.
 * Throws the 403 / 429 / 401 {@link RelayError}.
 */
export async function securityGate(rt: RelayRuntime, event: H3Event, state: RequestState): Promise<void> {
  browserGate(rt, event, state)
  const requireAuth = rt.settings.config.security.require_bearer_auth
  let presented: string | null = null
  let credentialValid = false
  if (requireAuth) {
    presented = bearerFromHeader(event.req.headers.get('authorization'))
    const { token } = await rt.tokens.current()
    credentialValid = tokensMatch(presented, token)
  }
  const admission = rt.limiter.admit(state.clientIp, { credentialValid })
  if (!admission.ok) {
    const { rejection } = admission
    if (state.logged) {
      rt.log.write(state.id, 'endpoint_rejected', {
        reason: rejection.reason,
        code: rejection.code,
        method: state.method,
        path: state.basePath + state.path,
        client_ip: state.clientIp,
        retry_after_seconds: rejection.retryAfterSeconds,
      })
    }
    throw new RelayError({
      status: rejection.status,
      type: rejection.type,
      code: rejection.code,
      message: rejection.message,
      headers: { 'retry-after': String(rejection.retryAfterSeconds) },
    })
  }
  if (requireAuth && !credentialValid) {
    admission.release()
    const failure = rt.limiter.recordFailure(state.clientIp)
    if (state.logged) {
      rt.log.write(state.id, 'endpoint_auth_failed', {
        method: state.method,
        path: state.basePath + state.path,
        client_ip: state.clientIp,
        headers: headerRecord(event.req.headers),
        token_fingerprint: presented === null ? null : tokenFingerprint(presented),
        failed_attempts: failure.attempts,
        blocked: failure.blocked,
        block_seconds: failure.blockSeconds,
      })
    }
    throw invalidTokenError()
  }
  state.release = admission.release
}

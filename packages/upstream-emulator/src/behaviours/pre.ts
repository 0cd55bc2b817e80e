import { type OutgoingHttpHeaders, STATUS_CODES } from 'node:http'
import { sendJson, sendText, toBearer } from '../_internal/http'
import { defaultPlanType } from '../accounts'
import { UNAUTHORIZED } from '../backend/auth'
import { codexHeaders, usageLimitBody } from '../backend/usage'
import type { Exchange } from '../exchange'
import { REFRESH_ERRORS } from '../issuer/oauth-errors'
import { pause } from '../state'
import type { EmulatorBehaviour } from '../types'
import { takeBehaviour } from './queue'
import type { EndpointRoute } from './rules'

/** What `runPre` did. */
export interface PreOutcome {
  /** The pre behaviour taken for this request, if any. */
  behaviour: EmulatorBehaviour | undefined
  /** True when the request is answered (or its socket gone): the handler stops. */
  done: boolean
}

/**
 * Take and apply the pre behaviour queued for `route` (before authentication and validation).
 * `headers` go on any answer it sends.
 */
export async function runPre(
  ex: Exchange,
  route: EndpointRoute,
  headers: OutgoingHttpHeaders,
): Promise<PreOutcome> {
  const behaviour = takeBehaviour(ex.state, route, 'pre', requestAccount(ex, route))
  if (behaviour && (await applyPre(ex, behaviour, headers))) return { behaviour, done: true }
  return { behaviour, done: ex.res.destroyed }
}

/**
 * The account a request speaks for, before authentication: the `ChatGPT-Account-ID` header (else
 * the bearer's account) on the backend, the presented refresh token's account on the token route.
 */
function requestAccount(ex: Exchange, route: EndpointRoute): string | undefined {
  const tokens = ex.state.issuer.tokens
  if (route === 'responses' || route === 'models' || route === 'usage') {
    const header = ex.req.headers['chatgpt-account-id']
    const value = Array.isArray(header) ? header[0] : header
    if (value) return value
    const bearer = toBearer(ex.req.headers.authorization)
    return bearer === null ? undefined : tokens.access.get(bearer)?.identity.accountId
  }
  if (route === 'token') {
    const fields: Record<string, unknown> =
      ex.body.form ??
      (typeof ex.body.json === 'object' && ex.body.json !== null
        ? (ex.body.json as Record<string, unknown>)
        : {})
    const presented = fields.refresh_token
    return typeof presented === 'string' ? tokens.refresh.get(presented)?.identity.accountId : undefined
  }
  return undefined
}

/** Apply a pre-kind behaviour. Returns true when it answered the request. */
async function applyPre(
  ex: Exchange,
  behaviour: EmulatorBehaviour,
  extraHeaders: OutgoingHttpHeaders,
): Promise<boolean> {
  const { res, record, state } = ex
  const plan = defaultPlanType(state)
  record.behaviour = behaviour.kind
  switch (behaviour.kind) {
    case 'delay':
      await pause(state, behaviour.ms)
      return res.destroyed
    case 'destroy':
      record.status = undefined
      res.destroy()
      return true
    case 'http_error': {
      const headers = { ...extraHeaders, ...(behaviour.headers ?? {}) }
      const body = behaviour.body ?? defaultErrorBody(behaviour.status)
      if (typeof body === 'string')
        sendText(res, behaviour.status, body, { contentType: 'text/plain; charset=utf-8', headers })
      else sendJson(res, behaviour.status, body, headers)
      return true
    }
    case 'expired_token':
      sendJson(res, 401, UNAUTHORIZED, extraHeaders)
      return true
    case 'usage_limit': {
      const seconds = behaviour.resetsInSeconds ?? 3600
      sendJson(res, 429, usageLimitBody(plan, seconds), {
        ...extraHeaders,
        ...codexHeaders(state, plan, { used: 100, resetAfter: seconds }),
      })
      return true
    }
    case 'refresh_expired':
    case 'refresh_invalidated':
    case 'refresh_reused':
      sendJson(res, 401, REFRESH_ERRORS[behaviour.kind], extraHeaders)
      return true
    default:
      // authorize_error is handled by the authorize route itself
      return false
  }
}

function defaultErrorBody(status: number): unknown {
  if (status === 503) {
    return {
      error: {
        message: 'Our servers are currently overloaded. Please try again later.',
        type: 'service_unavailable_error',
        param: null,
        code: 'server_is_overloaded',
      },
    }
  }
  if (status === 429) {
    return {
      error: {
        message: 'Rate limit reached. Please try again in 1s.',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    }
  }
  if (status >= 500) {
    return {
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    }
  }
  return { detail: STATUS_CODES[status] ?? `HTTP ${status}` }
}

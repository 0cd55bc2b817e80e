import type { OutgoingHttpHeaders } from 'node:http'
import { sendJson, toBearer } from '../_internal/http'
import { nowSeconds } from '../_internal/ids'
import type { Identity } from '../accounts'
import type { Exchange } from '../exchange'

/** The backend's answer to a missing, unknown, revoked or expired bearer. */
export const UNAUTHORIZED = { detail: 'Unauthorized' } as const

/**
 * Authenticate a backend request (bearer + `ChatGPT-Account-ID` of the same account). Answers
 * with `headers` and returns null on failure.
 */
export function authenticate(ex: Exchange, headers: OutgoingHttpHeaders): Identity | null {
  const { req, res } = ex
  const token = toBearer(req.headers.authorization)
  const record = token === null ? undefined : ex.state.issuer.tokens.access.get(token)
  if (!record || record.revoked || record.exp <= nowSeconds()) {
    sendJson(res, 401, UNAUTHORIZED, headers)
    return null
  }
  const account = req.headers['chatgpt-account-id']
  const accountId = Array.isArray(account) ? account[0] : account
  if (!accountId) {
    sendJson(res, 400, { detail: 'Missing ChatGPT-Account-ID header' }, headers)
    return null
  }
  if (accountId !== record.identity.accountId) {
    sendJson(
      res,
      403,
      { detail: 'The ChatGPT-Account-ID header does not match the access token.' },
      { ...headers, 'x-openai-authorization-error': 'account_mismatch' },
    )
    return null
  }
  return record.identity
}

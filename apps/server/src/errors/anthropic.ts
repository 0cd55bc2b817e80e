import { type AnthropicErrorEnvelope, toAnthropicError } from '@airelays/translate'
import type { RelayError } from './relay-error'

/**
 * Whether a request speaks the Anthropic API, so its errors take Anthropic's envelope: the
 * Messages routes (`/v1/messages…`, `/no-tools/v1/messages…`), Claude Code's `/api/*` side routes, and any request that
 * carries `anthropic-version` (the Anthropic SDK always sends it, e.g. on `GET /v1/models`).
 */
export function speaksAnthropic(path: string, headers: Headers): boolean {
  return (
    /^(\/no-tools)?\/v1\/messages(\/|$)/.test(path) ||
    path === '/api/hello' ||
    path.startsWith('/api/event_logging/') ||
    headers.has('anthropic-version')
  )
}

/**
 * A relay error in Anthropic's envelope `{"type":"error","error":{type,message},"request_id"}`,
 * mapped through `toAnthropicError` (context overflow → 400 `prompt is too long: …`, overload →
 * 529 `overloaded_error`). The words stay the relay's; its headers (`retry-after`,
 * `www-authenticate`, `x-should-retry`) are kept and `request-id` is added. Upstream login
 * problems stay a 503 `api_error` (not an overload: retrying will not help).
 */
export function toAnthropicErrorResult(
  error: RelayError,
  requestId: string,
): { status: number; body: AnthropicErrorEnvelope; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...error.headers, 'request-id': requestId }
  if (error.code?.startsWith('upstream_auth_')) {
    return {
      status: error.status,
      body: { type: 'error', error: { type: 'api_error', message: error.message }, request_id: requestId },
      headers,
    }
  }
  const { status, body } = toAnthropicError({
    status: error.status,
    code: error.code,
    type: error.type,
    message: error.message,
    requestId,
  })
  return { status, body, headers }
}

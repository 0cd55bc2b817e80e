import { isLoopbackHost } from '@airelays/ratelimit'
import { hostNotAllowed, originNotAllowed } from '../errors/factories'
import type { RelayError } from '../errors/relay-error'

/**
 * Browser-facing checks of `/v1` and `/no-tools/v1` (docs/security.md, "Web pages in your browser"),
 * run before every other security check:
 *
 * - `Origin`: browsers send it on every cross-origin POST and on CORS requests. It is allowed only
 *   when its host name is a loopback name or address, or the host name the request was sent to
 *   (same host). `Origin: null` (sandboxed frames, `file:` pages) is refused. Without `Origin`,
 *   `Sec-Fetch-Site: cross-site` is refused the same way.
 * - `Host` (DNS rebinding): when the relay listens on loopback only, a browser that reaches it
 *   under any other name was pointed there by someone else's DNS; the Host must then be a
 *   loopback name or address. A relay bound to another address skips this check (its owner chose
 *   to expose it; bearer auth protects it). A request without a Host header (a `fetch` handler
 *   given a bare `Request`) is not a browser request and is not checked.
 *
 * Non-browser clients (SDKs, curl, editors) send no `Origin` and address the relay as they were
 * configured, so they pass.
 */

/** The usual Host headers of a loopback relay, accepted without parsing. */
const PLAIN_LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i
/** Characters a Host header (`host[:port]`, IPv6 in brackets) can contain. */
const HOST_CHARS = /^[A-Za-z0-9._~!$&'()*+,;=%:[\]-]+$/

/** What the guard needs from the request. */
export interface BrowserHeaders {
  /** `Origin` header, or null. */
  origin: string | null
  /** `Host` header, or null. */
  host: string | null
  /** `Sec-Fetch-Site` header, or null. */
  secFetchSite: string | null
}

/** Why a request was refused, for the log. */
export interface BrowserRejection {
  reason: 'origin_not_allowed' | 'host_not_allowed'
  error: RelayError
}

/**
 * True when `hostname` (a URL host name: lower case, IPv6 in brackets, no port) names this
 * machine's loopback interface; the one check is `isLoopbackHost` of @airelays/ratelimit.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return isLoopbackHost(hostname)
}

/** The host name of a `Host` header value (`name[:port]`, `[v6][:port]`), or null when malformed. */
export function hostnameOfHost(value: string): string | null {
  if (value === '' || value.length > 1024 || !HOST_CHARS.test(value)) return null
  try {
    const url = new URL(`http://${value}/`)
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.hostname === '') return null
    return url.hostname
  } catch {
    return null
  }
}

/** The host name of an `Origin` header value, or null for `null` and anything unparsable. */
export function hostnameOfOrigin(value: string): string | null {
  if (value === 'null') return null
  try {
    const hostname = new URL(value).hostname
    return hostname === '' ? null : hostname
  } catch {
    return null
  }
}

/**
 * Check `headers` for a relay whose listen address is loopback (`loopbackOnly`) or not. Returns
 * the rejection, or null when the request may go on to the other checks.
 */
export function checkBrowserHeaders(headers: BrowserHeaders, loopbackOnly: boolean): BrowserRejection | null {
  const { origin, host, secFetchSite } = headers
  let requestHostname: string | null | undefined
  if (host !== null && host !== '') {
    if (PLAIN_LOOPBACK_HOST.test(host)) requestHostname = host.toLowerCase().replace(/:\d+$/, '')
    else {
      requestHostname = hostnameOfHost(host)
      if (loopbackOnly && (requestHostname === null || !isLoopbackHostname(requestHostname))) {
        return { reason: 'host_not_allowed', error: hostNotAllowed(host) }
      }
    }
  }
  if (origin !== null) {
    const originHostname = hostnameOfOrigin(origin)
    const allowed =
      originHostname !== null &&
      (isLoopbackHostname(originHostname) ||
        (requestHostname !== undefined && requestHostname !== null && originHostname === requestHostname))
    if (!allowed) return { reason: 'origin_not_allowed', error: originNotAllowed(origin) }
    return null
  }
  if (secFetchSite !== null && secFetchSite.trim().toLowerCase() === 'cross-site') {
    return { reason: 'origin_not_allowed', error: originNotAllowed(null) }
  }
  return null
}

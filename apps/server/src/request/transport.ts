import type { H3Event } from 'h3'
import type { RelayRequest } from './relay-request'

/**
 * Aborts `req` when the client goes away before the answer is complete; returns the function that
 * stops watching. Under Node the response's `close` event is watched directly (what srvx's
 * `request.signal` does, without building that signal for every request).
 */
export function watchClient(event: H3Event, req: RelayRequest): () => void {
  const node = event.runtime?.node as
    | { req?: { errored?: unknown }; res?: NodeJS.EventEmitter & { writableEnded?: boolean } }
    | undefined
  const res = node?.res
  if (res && typeof res.once === 'function') {
    const onClose = (): void => {
      if (res.writableEnded || req.signal.aborted) return
      const error = node?.req?.errored
      req.abort(error ?? undefined)
    }
    res.once('close', onClose)
    return () => res.off('close', onClose)
  }
  const signal = (event.req as { signal?: AbortSignal }).signal
  if (!signal) return () => {}
  const onAbort = (): void => {
    req.abort(signal.reason)
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * The request path before any mount prefix was stripped. Under srvx's Node adapter `event.req.url`
 * shares its URL object with `event.url`, which h3 rewrites for mounted apps, so the raw Node
 * request line is preferred.
 */
export function originalPath(event: H3Event): string {
  const raw = (event.runtime?.node?.req as { url?: string } | undefined)?.url
  if (typeof raw === 'string' && raw.startsWith('/')) {
    const end = raw.search(/[?#]/)
    return end === -1 ? raw : raw.slice(0, end)
  }
  return new URL(event.req.url).pathname
}

/** An HTTP/1.1 request without a Host header (Node's own check is off so the answer is an envelope). */
export function missingHost(event: H3Event): boolean {
  const req = (
    event.runtime?.node as { req?: { httpVersion?: string; headers?: Record<string, unknown> } } | undefined
  )?.req
  return req?.httpVersion === '1.1' && !req.headers?.host
}

/** A path whose percent-encoding does not decode. */
export function isMalformed(path: string): boolean {
  if (!path.includes('%')) return false
  try {
    decodeURIComponent(path)
    return false
  } catch {
    return true
  }
}

/** The socket peer, or the first X-Forwarded-For entry when trusted, else "unknown". */
export function clientIp(event: H3Event, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const forwarded = event.req.headers.get('x-forwarded-for')
    const first = forwarded?.split(',')[0]?.trim()
    if (first) return first
  }
  const ip = (event.req as { ip?: string }).ip
  return ip && ip.length > 0 ? ip : 'unknown'
}

import { isUpstreamError } from '../errors'
import type { PoolFailure } from './types'

/** The message a pool reports for a failure: the upstream's own message when it has one. */
export function messageOf(error: unknown): string {
  if (isUpstreamError(error)) {
    const inner = error.upstreamError?.message
    return typeof inner === 'string' && inner.length > 0 ? inner : error.message
  }
  return error instanceof Error ? error.message : String(error)
}

/** One line of at most 300 characters. */
export function short(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > 300 ? `${one.slice(0, 297)}...` : one
}

/** The default classifier: `UpstreamError.kind`, `aborted` → abort, anything else transient. */
export function classifyPoolFailure(error: unknown): PoolFailure {
  if (isUpstreamError(error)) {
    if (error.code === 'aborted') return { kind: 'abort', code: error.code }
    return {
      kind: error.kind,
      resetsInSeconds: error.resetsInSeconds ?? error.retryAfterSeconds ?? null,
      message: short(messageOf(error)),
      code: error.code,
    }
  }
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'AbortError') return { kind: 'abort' }
  return { kind: 'transient', message: short(messageOf(error)) }
}

/** Calls an observer hook; a hook that throws never breaks the request path. */
export function callHook<T>(fn: ((info: T) => void) | undefined, info: T): void {
  if (!fn) return
  try {
    fn(info)
  } catch {
    // Hooks never break the request path.
  }
}

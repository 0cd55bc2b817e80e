import type { IncomingHttpHeaders } from 'node:http'

/** Parse "X.Y.Z" (or an array like [0, 99, 0]) into numbers; null when unusable. */
export function parseVersion(value: unknown): number[] | null {
  if (Array.isArray(value)) return value.every((n) => Number.isInteger(n)) ? (value as number[]) : null
  if (typeof value !== 'string') return null
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(value.trim())
  if (!match) return null
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)]
}

/** -1 when a < b, 0 when equal, 1 when a > b. */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/**
 * The caller's client version as the backend reads it: the `version` header, else the version
 * in a `codex_cli_rs/X.Y.Z` / `codex_exec/X.Y.Z`-style user agent; null when neither says.
 */
export function clientVersionOf(headers: IncomingHttpHeaders): number[] | null {
  const header = headers.version
  const fromHeader = parseVersion(Array.isArray(header) ? header[0] : header)
  if (fromHeader) return fromHeader
  const agent = headers['user-agent']
  const match = typeof agent === 'string' ? /^codex[\w-]*\/(\d+\.\d+\.\d+)/.exec(agent) : null
  return match ? parseVersion(match[1]) : null
}

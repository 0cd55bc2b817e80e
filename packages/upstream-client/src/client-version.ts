import { DEFAULT_CLIENT_VERSION } from './_internal/constants'

/** Where the client version in use comes from. */
export type ClientVersionSource = 'config' | 'installed_codex' | 'default'

/** Input of `resolveClientVersion`. */
export interface ClientVersionInput {
  /** A version set explicitly by the user (config file, env, flag); it always wins. @default null */
  configured?: string | null
  /** The output of `codex --version` (e.g. "codex-cli 0.170.2") or a bare version. @default null */
  installed?: string | null
  /** The floor when nothing newer is known. @default '0.171.0' (the Codex release this package targets) */
  fallback?: string
}

/** The resolved version and where it came from. */
export interface ResolvedClientVersion {
  version: string
  source: ClientVersionSource
}

/** Parse "X.Y.Z" (optionally inside text such as "codex-cli 0.171.0") into numbers; null when none. */
export function parseClientVersion(text: string | null | undefined): [number, number, number] | null {
  if (typeof text !== 'string') return null
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text)
  if (!match) return null
  return [Number(match[1]), Number(match[2]), Number(match[3])]
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b`; unparsable versions sort first. */
export function compareClientVersions(a: string, b: string): number {
  const x = parseClientVersion(a)
  const y = parseClientVersion(b)
  if (!x || !y) return x ? 1 : y ? -1 : 0
  for (let i = 0; i < 3; i++) {
    if ((x[i] as number) !== (y[i] as number)) return (x[i] as number) < (y[i] as number) ? -1 : 1
  }
  return 0
}

/**
 * One client version for `/models` and `/responses`: the configured one when set; else the
 * installed Codex CLI's when it is newer than the fallback; else the fallback (0.171.0).
 */
export function resolveClientVersion(input: ClientVersionInput = {}): ResolvedClientVersion {
  const configured = input.configured?.trim()
  if (configured) return { version: configured, source: 'config' }
  const fallback = input.fallback ?? DEFAULT_CLIENT_VERSION
  const installed = parseClientVersion(input.installed)
  if (installed) {
    const version = installed.join('.')
    if (compareClientVersions(version, fallback) > 0) return { version, source: 'installed_codex' }
  }
  return { version: fallback, source: 'default' }
}

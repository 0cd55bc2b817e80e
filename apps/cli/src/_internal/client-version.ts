import { execFile } from 'node:child_process'
import type { LoadConfigResult } from '@airelays/config'
import { type ResolvedClientVersion, resolveClientVersion } from '@airelays/upstream-client'

/** How long `codex --version` may take before it is ignored. */
const CODEX_VERSION_TIMEOUT_MS = 3000

/** The output of `codex --version` (e.g. "codex-cli 0.171.0"), or null when Codex is not installed. */
export function installedCodexVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      'codex',
      ['--version'],
      { timeout: CODEX_VERSION_TIMEOUT_MS, env, windowsHide: true },
      (error, stdout) => resolve(error ? null : String(stdout).trim() || null),
    )
  })
}

/**
 * The Codex client version the relay announces upstream: `upstream.client_version` when the user
 * set it, else the installed Codex CLI's when newer than the built-in 0.169.0, else 0.169.0.
 */
export async function clientVersionFor(loaded: LoadConfigResult): Promise<ResolvedClientVersion> {
  const configured =
    loaded.sources['upstream.client_version']?.kind === 'default'
      ? null
      : loaded.config.upstream.client_version
  if (configured) return resolveClientVersion({ configured })
  return resolveClientVersion({ installed: await installedCodexVersion() })
}

/** "upstream.client_version", "installed codex", "default". */
export function clientVersionText(source: ResolvedClientVersion['source']): string {
  return source === 'config'
    ? 'upstream.client_version'
    : source === 'installed_codex'
      ? 'installed codex'
      : 'default'
}

import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import type { LoadConfigResult } from '@airelays/config'
import { configKeys } from '@airelays/config'
import type { ClientVersionSource, ResolvedClientVersion } from '@airelays/upstream-client'

/** How long `codex --version` may take before it is ignored. */
const CODEX_VERSION_TIMEOUT_MS = 3000

/**
 * The default `airelays init` wrote into config.toml before 2026-12 (0.124.0). Kept in a
 * file it is not a choice of the user, and with it no gpt-5.6 or gpt-6 model can be called.
 */
const PREVIOUS_DEFAULT = '0.124.0'

/** The built-in default of `upstream.client_version` (0.171.0). */
function builtInDefault(): string {
  const key = configKeys.find((k) => k.path === 'upstream.client_version')
  const value = key?.default.kind === 'value' ? key.default.value : null
  return typeof value === 'string' ? value : '0.171.0'
}

/** "X.Y.Z" inside `text` (e.g. "codex-cli 0.171.0") as numbers; null when there is none. */
function parse(text: string | null): number[] | null {
  const match = text ? /(\d+)\.(\d+)\.(\d+)/.exec(text) : null
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null
}

function newer(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++)
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) > (b[i] as number)
  return false
}

/**
 * Whether an executable `name` is in one of the `PATH` directories. Where Windows resolves
 * extensions (PATHEXT) the answer is always true and the spawn decides.
 */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (process.platform === 'win32') return true
  const dirs = (env.PATH ?? '').split(delimiter).map((dir) => dir || '.')
  const found = await Promise.all(
    dirs.map((dir) =>
      access(join(dir, name), constants.X_OK).then(
        () => true,
        () => false,
      ),
    ),
  )
  return found.includes(true)
}

/**
 * The output of `codex --version` (e.g. "codex-cli 0.171.0"), or null when Codex is not installed.
 * Without a `codex` on PATH nothing is spawned (a spawn that fails costs `status` about 10 ms).
 */
export async function installedCodexVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (!(await onPath('codex', env))) return null
  const { execFile } = await import('node:child_process')
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
 * The Codex client version the relay announces upstream (the same rule as `resolveClientVersion`
 * of @airelays/upstream-client, without loading it): `upstream.client_version` when the user set
 * it, else the installed Codex CLI's when newer than the built-in 0.171.0, else 0.171.0. The old
 * default 0.124.0 that `airelays init` used to write into config.toml counts as not set.
 */
export async function clientVersionFor(loaded: LoadConfigResult): Promise<ResolvedClientVersion> {
  const source = loaded.sources['upstream.client_version']
  const value = loaded.config.upstream.client_version.trim()
  const stale = source?.kind === 'file' && value === PREVIOUS_DEFAULT
  if (source && source.kind !== 'default' && !stale && value !== '')
    return { version: value, source: 'config' }
  const fallback = builtInDefault()
  const installed = parse(await installedCodexVersion())
  const floor = parse(fallback)
  if (installed && floor && newer(installed, floor)) {
    return { version: installed.join('.'), source: 'installed_codex' }
  }
  return { version: fallback, source: 'default' }
}

/** "upstream.client_version", "installed codex", "default". */
export function clientVersionText(source: ClientVersionSource): string {
  return source === 'config'
    ? 'upstream.client_version'
    : source === 'installed_codex'
      ? 'installed codex'
      : 'default'
}

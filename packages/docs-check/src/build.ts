import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { publicPackages, repoRoot, type WorkspacePackage } from './workspace'

const run = promisify(execFile)

/** Newest modification time (ms) of any file under `dir`, or 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0
  let newest = 0
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/**
 * Public packages whose `dist/` is missing or older than their `src/` (a build would change it).
 * Packages without a `build` script are never stale.
 */
export function staleBuilds(packages: WorkspacePackage[] = publicPackages()): WorkspacePackage[] {
  return packages.filter((pkg) => {
    if (!pkg.manifest.scripts?.build) return false
    const dist = join(pkg.dir, 'dist')
    if (!existsSync(join(dist, 'index.js'))) return true
    return newestMtime(join(pkg.dir, 'src')) > newestMtime(dist)
  })
}

let building: Promise<void> | null = null

/**
 * Builds the workspace with turbo (cached, so only what changed is rebuilt) when any public
 * package's `dist/` is missing or stale. In CI the test task depends on `^build`, so this is a no-op
 * there. Runs at most once per process.
 */
export function ensureBuilt(): Promise<void> {
  building ??= (async () => {
    if (staleBuilds().length === 0) return
    await run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], {
      cwd: repoRoot,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    })
    // Only a missing dist is an error: a source edited while the build ran is merely newer.
    const missing = publicPackages().filter(
      (pkg) => pkg.manifest.scripts?.build && !existsSync(join(pkg.dir, 'dist/index.js')),
    )
    if (missing.length > 0) {
      throw new Error(`pnpm build left these packages unbuilt: ${missing.map((pkg) => pkg.name).join(', ')}`)
    }
  })()
  return building
}

/** The built `airelays` bin of this checkout. */
export const cliBin: string = join(repoRoot, 'apps/cli/bin/airelays.mjs')

/** Output of one CLI run. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the built CLI with `args` in a clean environment: no colours, `HOME` and the XDG folders in
 * `home`, and no inherited `AIRELAYS_*` / `AIRELAY_*` / `OPENAI_ENDPOINT_*` variables.
 */
export async function runCli(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  const base: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AIRELAYS?_|OPENAI_ENDPOINT_)/.test(key)) continue
    base[key] = value
  }
  try {
    const { stdout, stderr } = await run(process.execPath, [cliBin, ...args], {
      cwd: home,
      env: {
        ...base,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        NO_COLOR: '1',
        ...env,
      },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

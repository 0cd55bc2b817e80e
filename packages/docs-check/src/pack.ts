import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { publicPackages, type WorkspacePackage } from './workspace'

const run = promisify(execFile)

/** A packed public package. */
export interface PackedPackage {
  pkg: WorkspacePackage
  /** Absolute path of the `.tgz`. */
  tarball: string
}

/**
 * Packs every public package with `pnpm pack` (which rewrites `workspace:` ranges and applies
 * `publishConfig`, exactly as `pnpm publish` does) into `dest`.
 */
export async function packPublicPackages(dest: string): Promise<PackedPackage[]> {
  const out: PackedPackage[] = []
  for (const pkg of publicPackages()) {
    const before = new Set(await readdir(dest))
    await run('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir, maxBuffer: 16 * 1024 * 1024 })
    const created = (await readdir(dest)).filter((name) => name.endsWith('.tgz') && !before.has(name))
    if (created.length !== 1) throw new Error(`pnpm pack of ${pkg.name} produced ${created.length} tarballs`)
    out.push({ pkg, tarball: join(dest, created[0] as string) })
  }
  return out
}

/** Names of the runtime (non-type) exports of a barrel `src/index.ts`. */
export function valueExports(source: string): string[] {
  const names = new Set<string>()
  for (const match of source.matchAll(/export\s+\{([^}]*)\}/g)) {
    for (const part of (match[1] as string).split(',')) {
      const entry = part.trim()
      if (!entry || entry.startsWith('type ')) continue
      const name = entry
        .split(/\s+as\s+/)
        .pop()
        ?.trim()
      if (name) names.add(name)
    }
  }
  for (const match of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|enum)\s+([A-Za-z_$][\w$]*)/g,
  ))
    names.add(match[1] as string)
  return [...names].sort()
}

/** Runs a command and returns its stdout; a failure includes stdout and stderr in the error. */
export async function exec(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    })
    return stdout
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message?: string }
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failed.message ?? ''}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`,
    )
  }
}

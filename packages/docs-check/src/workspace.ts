import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Absolute path of the repository root (this file lives in `packages/docs-check/src`). */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '')

/** Absolute path of the `docs/` folder. */
export const docsDir: string = join(repoRoot, 'docs')

/** A package of the pnpm workspace, as read from its `package.json`. */
export interface WorkspacePackage {
  /** Absolute directory. */
  dir: string
  /** Directory relative to the repository root, e.g. `packages/config`. */
  relDir: string
  /** The npm name, e.g. `@airelays/config`. */
  name: string
  /** `"private": true` in the manifest: never published. */
  private: boolean
  /** The parsed manifest. */
  manifest: PackageManifest
}

/** The fields of a package.json this package reads. */
export interface PackageManifest {
  name: string
  version: string
  private?: boolean
  description?: string
  bin?: Record<string, string>
  exports?: unknown
  files?: string[]
  scripts?: Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

/** Every package under `packages/*` and `apps/*` that has a package.json, sorted by directory. */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = []
  for (const group of ['apps', 'packages']) {
    const base = join(repoRoot, group)
    if (!existsSync(base)) continue
    for (const entry of readdirSync(base).sort()) {
      const dir = join(base, entry)
      const manifestPath = join(dir, 'package.json')
      if (!statSync(dir).isDirectory() || !existsSync(manifestPath)) continue
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest
      out.push({
        dir,
        relDir: relative(repoRoot, dir),
        name: manifest.name,
        private: manifest.private === true,
        manifest,
      })
    }
  }
  return out
}

/** The packages that are published to npm (not `"private": true`). */
export function publicPackages(): WorkspacePackage[] {
  return workspacePackages().filter((pkg) => !pkg.private)
}

/** Read a file of the repository as UTF-8 text (`path` relative to the root). */
export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8')
}

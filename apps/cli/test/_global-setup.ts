import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The tests spawn the built bin, which imports dist/ of this package and of the workspace
 * libraries. `pnpm test` (turbo) builds them first; a direct `vitest run` needs
 * `pnpm turbo run build --filter=airelays...` beforehand.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const required = [
    'apps/cli/dist/cli.js',
    'apps/server/dist/index.js',
    'packages/config/dist/index.js',
    'packages/auth-store/dist/index.js',
    'packages/upstream-client/dist/index.js',
    'packages/upstream-emulator/dist/index.js',
  ]
  const missing = required.filter((file) => !existsSync(join(root, file)))
  if (missing.length > 0) {
    throw new Error(
      `The CLI tests run the built bin, but these files are missing: ${missing.join(', ')}. Build first: pnpm turbo run build --filter=airelays...`,
    )
  }
}

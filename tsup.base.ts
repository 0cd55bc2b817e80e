import type { Options } from 'tsup'

/**
 * The one tsup setup of every published package: ESM for Node 20 with declarations and source
 * maps, built from `src/index.ts`. A package's `tsup.config.ts` passes only what differs (more
 * entries, code splitting, a narrower `dts` entry).
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: true,
    sourcemap: true,
    ...overrides,
  }
}

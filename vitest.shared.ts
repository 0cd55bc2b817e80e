import { defineConfig, type ViteUserConfig } from 'vitest/config'

/**
 * Shared vitest settings for every package and app.
 *
 * - Resolves workspace packages to their TypeScript sources through the private
 *   `@airelays/source` export condition, so tests never need a prior build.
 * - Writes a JSON report to `test-results.json` next to the package; `scripts/test.mjs`
 *   sums these into the single `N passed, N failed` line CI reads.
 */
export function sharedConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  const conditions = ['@airelays/source', 'module', 'node', 'development|production']
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@airelays/source'] } },
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results.json' },
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...overrides,
    },
  })
}

/**
 * The config of a package with nothing to add to {@link sharedConfig}; its `vitest.config.ts` is
 * one line: `export { packageTestConfig as default } from '../../vitest.shared.ts'`.
 */
export const packageTestConfig: ViteUserConfig = sharedConfig()

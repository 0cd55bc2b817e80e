import { defineConfig, type ViteUserConfig } from 'vitest/config'

// Every package and app as one vitest project, each with its own vitest.config.ts (built from
// vitest.shared.ts): `pnpm exec vitest run --project @airelays/translate` from the root. `pnpm test`
// still runs each package's own `vitest run` through turbo, one package at a time.
const config: ViteUserConfig = defineConfig({
  test: { projects: ['packages/*', 'apps/*'] },
})

export default config

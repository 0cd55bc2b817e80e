import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../../vitest.shared.ts'

// `pnpm --filter @airelays/server run screenshots`: only the screenshot script, no JSON report.
const config: ViteUserConfig = sharedConfig({
  include: ['scripts/screenshots.ts'],
  reporters: ['default'],
  testTimeout: 120_000,
})

export default config

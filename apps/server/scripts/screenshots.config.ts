import { sharedConfig } from '../../../vitest.shared.ts'

// `pnpm --filter @airelays/server run screenshots`: only the screenshot script, no JSON report.
export default sharedConfig({
  include: ['scripts/screenshots.ts'],
  reporters: ['default'],
  testTimeout: 120_000,
})

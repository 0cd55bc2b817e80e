import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// The tests spawn the built bin (`node bin/airelays.mjs`); test/_global-setup.ts checks that
// dist/ is there. Test files run one at a time: each one starts emulators, relays and logins as
// child processes, and a 2-core machine running them side by side would measure the machine.
const config: ViteUserConfig = sharedConfig({
  globalSetup: ['test/_global-setup.ts'],
  fileParallelism: false,
  testTimeout: 60_000,
})

export default config

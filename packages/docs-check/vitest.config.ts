import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// The pack-and-install test builds, packs and npm-installs every public package: minutes, not seconds.
const config: ViteUserConfig = sharedConfig({ testTimeout: 60_000, hookTimeout: 600_000 })

export default config

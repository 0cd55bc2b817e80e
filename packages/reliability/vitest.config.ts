import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

const config: ViteUserConfig = sharedConfig({ testTimeout: 60_000 })

export default config

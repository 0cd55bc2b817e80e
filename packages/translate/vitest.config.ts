import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared'

const config: ViteUserConfig = sharedConfig()

export default config

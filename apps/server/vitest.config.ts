import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

const config: ViteUserConfig = sharedConfig()

export default config

import type { ViteUserConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// Real client programs (the Codex CLI, Claude Code) start in a few seconds each on a loaded machine;
// test files run one at a time so two CLIs never compete for the two cores.
const config: ViteUserConfig = sharedConfig({ testTimeout: 120_000, fileParallelism: false })
export default config

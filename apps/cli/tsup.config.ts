import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: `cli` (what bin/airelays.mjs runs) and `index` (the `run()` API). Code splitting
// keeps every command in its own chunk, loaded by the dynamic import in its cac action, so
// `airelays --version` and `airelays status` never load the server, undici or openai.
const config: Options = packageBuild({
  entry: ['src/cli.ts', 'src/index.ts'],
  splitting: true,
  dts: { entry: 'src/index.ts' },
})

export default config

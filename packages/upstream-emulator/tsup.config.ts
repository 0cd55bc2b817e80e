import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// `cli` is what bin/upstream-emulator.mjs runs; only the library entry gets declarations.
const config: Options = packageBuild({
  entry: ['src/index.ts', 'src/cli.ts'],
  dts: { entry: 'src/index.ts' },
})

export default config

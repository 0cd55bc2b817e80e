import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// @airelays/translate is bundled rather than imported: the client uses only its three sets of
// upstream error codes (translate has no side effects, so esbuild keeps just those), and loading
// the whole translate package (~120 KB) cost `airelays status` about 9 ms of its start-up.
const config: Options = packageBuild({ noExternal: ['@airelays/translate'] })

export default config

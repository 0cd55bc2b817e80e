import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// @airelays/translate stays an import, not bundled: the client uses its `jsonPieces`, whose cache
// of the last long string is shared with the relay's own use of translate only when both load
// the same module (bench/findings.md, item 27).
const config: Options = packageBuild()

export default config

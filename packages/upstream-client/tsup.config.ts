import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// @airelays/translate stays an import, not bundled: the client uses its `jsonPieces`, whose cache
// of the last long string is shared with the relay's own use of translate only when both load
// the same module (bench/findings.md, item 27).
// Two entries: the barrel and `reader` (`createUpstreamReader`, the read-only client that
// `airelays status` loads without the Responses code). Code splitting puts what both reach in a
// shared chunk, so a process that loads both still holds one copy of every module.
const config: Options = packageBuild({
  entry: ['src/index.ts', 'src/reader.ts'],
  splitting: true,
})

export default config

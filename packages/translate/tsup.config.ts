import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: the barrel and `upstream-codes` (the upstream error vocabulary, which
// @airelays/upstream-client imports without loading the translators). Code splitting puts the
// sets in a chunk both entries import, so a process that loads both holds them once.
const config: Options = packageBuild({
  entry: ['src/index.ts', 'src/upstream-codes.ts'],
  splitting: true,
})

export default config

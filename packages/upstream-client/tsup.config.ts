import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

const config: Options = packageBuild()

export default config

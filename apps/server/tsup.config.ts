import { buildSync } from 'esbuild'
import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The dashboard's client app (src/dashboard/client) is bundled here, at build time, and inlined
// into dist as a string constant (see src/dashboard/bundle.ts); the package ships no other file.
const client = buildSync({
  entryPoints: ['src/dashboard/client/main.ts'],
  bundle: true,
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
})
const dashboardJs = (client.outputFiles[0] as { text: string }).text

const config: Options = packageBuild({
  define: { __AIRELAYS_DASHBOARD_JS__: JSON.stringify(dashboardJs) },
  external: ['esbuild'],
})

export default config

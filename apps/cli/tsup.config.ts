import { fileURLToPath } from 'node:url'
import type { Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: `cli` (what bin/airelays.mjs runs) and `index` (the `run()` API). Code splitting
// keeps every command in its own chunk, loaded by the dynamic import in its cac action, so
// `airelays --version` and `airelays status` never load the server, undici or openai.
//
// The workspace packages and cac are bundled in from their sources (`@airelays/source`), every
// one of them, the server included: a package left as an import would be loaded beside the copy
// bundled into another one, two copies of its module state in `serve`. Bundled, `status` resolves
// no package at all (Node's ESM resolver spends about 0.3 ms per bare import, and compiles a
// large regular expression at the first one), and loads only the source files of the packages
// its command reaches, not their whole dist.
const config: Options = packageBuild({
  entry: ['src/cli.ts', 'src/index.ts'],
  splitting: true,
  dts: { entry: 'src/index.ts' },
  noExternal: [/^@airelays\//, 'cac'],
  esbuildPlugins: [
    {
      name: 'server-from-dist',
      setup(build) {
        build.onResolve({ filter: /^@airelays\/server$/ }, () => ({
          path: fileURLToPath(new URL('../server/dist/index.js', import.meta.url)),
        }))
      },
    },
  ],
  esbuildOptions(options) {
    options.conditions = ['@airelays/source']
  },
})

export default config

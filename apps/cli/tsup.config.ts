import type { Options } from 'tsup'

// Two entries: `cli` (what bin/airelays.mjs runs) and `index` (the `run()` API). Code splitting
// keeps every command in its own chunk, loaded by the dynamic import in its cac action, so
// `airelays --version` and `airelays status` never load the server, undici or openai.
const config: Options = {
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  target: 'node20',
  splitting: true,
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
}

export default config

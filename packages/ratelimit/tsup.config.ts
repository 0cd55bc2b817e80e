import { defineConfig, type Options } from 'tsup'

const config: Options = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
}) as Options

export default config

import type { Options } from 'tsup'

type TsupPlugin = NonNullable<Options['plugins']>[number]

/**
 * Keeps every emitted chunk pure ASCII. esbuild already escapes non-ASCII characters in code, but
 * not in the comments it keeps (class member docs): one `…` or `→` in a comment makes V8 hold the
 * whole module source as a two-byte string, twice the memory of the one-byte string an ASCII file
 * gets (about 0.5 MB at idle for the relay's bundles; bench/findings.md, "Memory at idle and per
 * stream"). Each such character becomes its `\uXXXX` escape, which means the same thing anywhere
 * esbuild could have left it.
 */
const asciiOutput: TsupPlugin = {
  name: 'ascii-output',
  renderChunk(code) {
    if (!/[^\x00-\x7f]/.test(code)) return
    return {
      code: code.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`),
    }
  },
}

/**
 * The one tsup setup of every published package: ESM for Node 20 with declarations and source
 * maps, built from `src/index.ts`, every chunk ASCII-only. A package's `tsup.config.ts` passes
 * only what differs (more entries, code splitting, a narrower `dts` entry).
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: true,
    sourcemap: true,
    ...overrides,
    plugins: [asciiOutput, ...(overrides.plugins ?? [])],
  }
}

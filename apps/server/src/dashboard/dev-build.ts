import { fileURLToPath } from 'node:url'

/** The esbuild options of the dashboard client (the same as in `tsup.config.ts`). */
export const CLIENT_BUILD = {
  bundle: true,
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
} as const

/** Bundle `client/main.ts` with esbuild (source mode only; the published build inlines it). */
export async function bundleDashboard(): Promise<string> {
  const { build } = await import('esbuild')
  const result = await build({
    ...CLIENT_BUILD,
    entryPoints: [fileURLToPath(new URL('./client/main.ts', import.meta.url))],
  })
  return (result.outputFiles[0] as { text: string }).text
}

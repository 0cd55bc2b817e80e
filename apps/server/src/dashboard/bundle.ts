import { createHash } from 'node:crypto'

/**
 * The dashboard's client script, bundled from `client/main.ts` by esbuild. A published build has
 * it inlined: `tsup.config.ts` bundles the client and defines `__AIRELAYS_DASHBOARD_JS__` with the
 * result, so the package serves it without any file of its own. Running from source (tests, the
 * workspace), the constant is absent and the script is bundled once, on first use, by
 * `dev-build.ts` (esbuild is a devDependency; the import is kept out of the published build).
 */
declare const __AIRELAYS_DASHBOARD_JS__: string | undefined

/** The client script and its content hash (for the asset URL and ETag). */
export interface DashboardScript {
  code: string
  hash: string
}

let built: Promise<DashboardScript> | null = null

/** The bundled client script (cached for the process). */
export function dashboardScript(): Promise<DashboardScript> {
  built ??= (async () => {
    const code =
      typeof __AIRELAYS_DASHBOARD_JS__ === 'string' ? __AIRELAYS_DASHBOARD_JS__ : await buildFromSource()
    return { code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) }
  })()
  built.catch(() => {
    built = null
  })
  return built
}

async function buildFromSource(): Promise<string> {
  // A computed specifier: tsup leaves it alone, so esbuild never ends up in the published bundle.
  const specifier = './dev-build.ts'
  const mod = (await import(/* @vite-ignore */ specifier)) as { bundleDashboard(): Promise<string> }
  return mod.bundleDashboard()
}

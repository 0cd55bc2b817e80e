import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { instantSleep, NO_ENV_PROXY, recordingStore } from './_test-helpers'
import { isUpstreamError } from './errors'
import { createUpstreamReader, type UpstreamReader } from './reader'

const fx = useEmulatorClients()

function reader(): UpstreamReader {
  const emu = fx.emu
  return createUpstreamReader({
    baseUrl: emu.backendUrl,
    issuerUrl: emu.url,
    clientId: emu.clientId,
    clientVersion: '0.200.0',
    proxy: NO_ENV_PROXY,
    sleep: instantSleep().sleep,
    credentials: recordingStore(emu.storedAuth()),
  })
}

describe('createUpstreamReader', () => {
  it('reads the models and the usage as the full client does', async () => {
    const upstream = reader()
    try {
      expect(upstream.clientVersion).toBe('0.200.0')
      expect((await upstream.models()).map((m) => m.slug)).toEqual(
        (await fx.client({ clientVersion: '0.200.0' }).models()).map((m) => m.slug),
      )
      expect(fx.byRoute('models')[0]?.query).toEqual({ client_version: '0.200.0' })
      const usage = await upstream.usage()
      expect(usage.object).toBe('subscription_status')
      expect(usage.windows.five_hour?.used_percent).toBe(
        (await fx.client().usage()).windows.five_hour?.used_percent,
      )
    } finally {
      await upstream.close()
    }
  })

  it('rejects every call once closed', async () => {
    const upstream = reader()
    await upstream.close()
    const error = await upstream.usage().catch((e: unknown) => e)
    expect(isUpstreamError(error) && error.code).toBe('upstream_unavailable')
  })
})

/** The relative imports of a source file and of everything they import, and the package imports met. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    const source = readFileSync(file, 'utf8')
    // value imports and re-exports only: `import type` / `export type` are erased at build time
    for (const [, specifier] of source.matchAll(/^(?:import|export)(?! type )[^'"]*?from '([^']+)'/gm)) {
      if (specifier === undefined) continue
      if (specifier.startsWith('.')) visit(join(dirname(file), `${specifier}.ts`))
      else packages.add(specifier)
    }
  }
  visit(entry)
  return { files, packages }
}

describe('the reader entry (`@airelays/upstream-client/reader`)', () => {
  it('never imports the Responses call, the logins, the pool or the translate barrel', () => {
    const { files, packages } = importGraph(join(import.meta.dirname, 'reader.ts'))
    const names = [...files].map((f) => f.slice(import.meta.dirname.length + 1))
    expect(names).toContain('_internal/client/usage.ts')
    expect(names).toContain('_internal/client/models.ts')
    for (const heavy of ['_internal/client/responses.ts', '_internal/stream.ts', 'client.ts', 'index.ts'])
      expect(names).not.toContain(heavy)
    expect(names.some((n) => /^(pool\/|_internal\/login\/|browser-login|device-login)/.test(n))).toBe(false)
    expect(packages).not.toContain('@airelays/translate')
  })
})

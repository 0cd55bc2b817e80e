import { describe, expect, it } from 'vitest'
import { proxyConfigured } from './_internal/node-transport'
import { useEmulatorClients } from './_test-emulator'
import { recordingStore, rejectionOf } from './_test-helpers'
import { createUpstreamClient } from './client'
import { isUpstreamError } from './errors'

// `transport: 'node'` sends the same requests as the default (undici) transport, with node:http.
const fx = useEmulatorClients({ client: { transport: 'node' } })
const byRoute = fx.byRoute

describe("transport: 'node'", () => {
  it('reads models and usage like the undici transport, with the same headers', async () => {
    const viaNode = fx.client()
    const viaUndici = fx.client({ transport: 'undici' })
    expect(await viaNode.models()).toEqual(await viaUndici.models())
    const [nodeUsage, undiciUsage] = [await viaNode.usage(), await viaUndici.usage()]
    expect(nodeUsage.raw).toEqual(undiciUsage.raw)
    expect(nodeUsage.source).toEqual(undiciUsage.source)
    expect(nodeUsage.windows.weekly?.used_percent).toBe(undiciUsage.windows.weekly?.used_percent)
    const [nodeModels, undiciModels] = byRoute('models')
    const { 'user-agent': _a, connection: _c, ...nodeHeaders } = nodeModels?.headers ?? {}
    const { 'user-agent': _b, connection: _d, ...undiciHeaders } = undiciModels?.headers ?? {}
    expect(nodeHeaders).toMatchObject({ accept: 'application/json', originator: 'codex_cli_rs' })
    expect(Object.keys(nodeHeaders).sort()).toEqual(Object.keys(undiciHeaders).sort())
  })

  it('refreshes an expired token (POST to the issuer) and retries a 401 once', async () => {
    const store = recordingStore(fx.emu.storedAuth({ expiresInSeconds: -60 }))
    fx.emu.script({ route: 'models', kind: 'expired_token' })
    const models = await fx.client({ credentials: store }).models()
    expect(models.length).toBeGreaterThan(0)
    expect(byRoute('token')).toHaveLength(2)
    expect(byRoute('models')).toHaveLength(2)
    expect(byRoute('models')[1]?.headers.authorization).toBe(`Bearer ${store.current()?.tokens.access_token}`)
  })

  it('maps a response-header timeout to the timeout error', async () => {
    fx.emu.script({ route: 'models', kind: 'delay', ms: 3000 })
    const error = await rejectionOf(fx.client({ requestTimeoutMs: 200 }).models())
    expect(isUpstreamError(error) && error.code).toBe('timeout')
  })

  it('maps a refused connection to upstream_unavailable', async () => {
    const upstream = fx.client({ baseUrl: 'http://127.0.0.1:1/backend-api/codex' })
    const error = await rejectionOf(upstream.usage())
    expect(isUpstreamError(error) && error.code).toBe('upstream_unavailable')
    expect((error as Error).message).toMatch(/^Upstream connection failed: ECONNREFUSED/)
  })

  it('sends with node:http (one connection per request), and with undici when a proxy applies', async () => {
    await fx.client().models()
    await fx.client({ transport: 'undici' }).models()
    const [viaNode, viaUndici] = byRoute('models')
    expect(viaNode?.headers.connection).toBe('close') // node:http without an agent
    expect(viaUndici?.headers.connection).not.toBe('close')
    // With a proxy the client keeps undici, which sends this plain-HTTP target to the (closed) proxy.
    const proxied = fx.client({ proxy: { httpProxy: 'http://127.0.0.1:1', httpsProxy: '', noProxy: '' } })
    const error = await rejectionOf(proxied.models())
    expect(isUpstreamError(error) && error.code).toBe('upstream_unavailable')
    expect(byRoute('models')).toHaveLength(2)
  })

  it('rejects an unknown transport', () => {
    expect(() =>
      createUpstreamClient({ credentials: recordingStore(null), transport: 'curl' as never }),
    ).toThrow(/`transport` must be 'undici' or 'node'/)
  })
})

describe('proxyConfigured (when the node transport falls back to undici)', () => {
  it('follows the proxy option over the environment', () => {
    expect(proxyConfigured(undefined, {})).toBe(false)
    expect(proxyConfigured(undefined, { HTTPS_PROXY: 'http://p:1' })).toBe(true)
    expect(proxyConfigured(undefined, { http_proxy: 'http://p:1' })).toBe(true)
    expect(proxyConfigured({ httpProxy: '', httpsProxy: '' }, { HTTPS_PROXY: 'http://p:1' })).toBe(false)
    expect(proxyConfigured({ httpsProxy: 'http://p:1' }, {})).toBe(true)
  })
})

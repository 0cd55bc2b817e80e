import { describe, expect, it } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { recordingStore, rejectionOf } from './_test-helpers'
import { isUpstreamError } from './errors'

const fx = useEmulatorClients({ client: { clientVersion: '0.200.0' } })
const client = fx.client

const byRoute = fx.byRoute

describe('models()', () => {
  it('lists visible models by priority and sends client_version', async () => {
    const models = await client().models()
    const slugs = models.map((m) => m.slug)
    expect(slugs).toEqual(expect.arrayContaining(['gpt-5.5', 'gpt-5.4-mini', 'gpt-5.6-sol', 'gpt-5.6-terra']))
    expect(models.every((m) => m.visibility === 'list')).toBe(true)
    const priorities = models.map((m) => m.priority as number)
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b))
    expect(byRoute('models')[0]?.query).toEqual({ client_version: '0.200.0' })
    expect(byRoute('models')[0]?.headers).toMatchObject({
      accept: 'application/json',
      originator: 'codex_cli_rs',
    })
  })

  it('drops hidden entries and orders by priority whatever the upstream order', async () => {
    fx.emu.script({
      route: 'models',
      kind: 'http_error',
      status: 200,
      body: {
        models: [
          { slug: 'c', visibility: 'list', priority: 3 },
          { slug: 'hidden', visibility: 'hide', priority: 0 },
          { slug: 'a', visibility: 'list', priority: 1 },
          { slug: 'legacy-no-visibility', priority: 2 },
          { slug: '', visibility: 'list' },
          'junk',
        ],
      },
    })
    expect((await client().models()).map((m) => m.slug)).toEqual(['a', 'legacy-no-visibility', 'c'])
  })

  it('caches per account for the TTL, then refetches', async () => {
    let now = Date.now()
    const upstream = client({ clock: () => now, modelsCacheTtlSeconds: 300 })
    await upstream.models()
    await upstream.models()
    expect(byRoute('models')).toHaveLength(1)
    expect(upstream.modelsCacheStatus()).toMatchObject({ enabled: true, state: 'fresh', ttl_seconds: 300 })
    now += 301_000
    expect(upstream.modelsCacheStatus().state).toBe('expired')
    await upstream.models()
    expect(byRoute('models')).toHaveLength(2)
  })

  it('keys the cache by account', async () => {
    const store = recordingStore(fx.emu.storedAuth())
    const upstream = client({ credentials: store })
    await upstream.models()
    store.set(fx.emu.storedAuth({ accountId: 'acct_second' }))
    await upstream.models()
    expect(byRoute('models')).toHaveLength(2)
  })

  it('does not cache failures', async () => {
    fx.emu.script({ route: 'models', kind: 'http_error', status: 500 })
    const upstream = client()
    const error = await rejectionOf(upstream.models())
    expect(isUpstreamError(error) && error.code).toBe('upstream_http_error')
    expect(upstream.modelsCacheStatus().state).toBe('empty')
    expect((await upstream.models()).length).toBeGreaterThan(0)
    expect(byRoute('models')).toHaveLength(2)
  })

  it('collapses concurrent misses into one upstream call', async () => {
    fx.emu.script({ route: 'models', kind: 'delay', ms: 100 })
    const upstream = client()
    const lists = await Promise.all(Array.from({ length: 10 }, () => upstream.models()))
    expect(byRoute('models')).toHaveLength(1)
    expect(new Set(lists.map((l) => l.length)).size).toBe(1)
  })

  it('TTL 0 disables the cache', async () => {
    const upstream = client({ modelsCacheTtlSeconds: 0 })
    await upstream.models()
    await upstream.models()
    expect(byRoute('models')).toHaveLength(2)
    expect(upstream.modelsCacheStatus()).toMatchObject({ enabled: false, state: 'disabled' })
  })

  it('invalidateModels() forces a refetch', async () => {
    const upstream = client()
    await upstream.models()
    upstream.invalidateModels()
    await upstream.models()
    expect(byRoute('models')).toHaveLength(2)
  })

  it('hands out copies that cannot corrupt the cache', async () => {
    const upstream = client()
    const first = await upstream.models()
    ;(first[0] as { slug: string }).slug = 'mutated'
    first.length = 0
    const second = await upstream.models()
    expect(second.length).toBeGreaterThan(0)
    expect(second[0]?.slug).not.toBe('mutated')
  })

  it('refreshes once on a 401 and retries', async () => {
    fx.emu.script({ route: 'models', kind: 'expired_token' })
    expect((await client().models()).length).toBeGreaterThan(0)
    expect(byRoute('models')).toHaveLength(2)
    expect(byRoute('token')).toHaveLength(1)
  })

  it('maps a second 401 to auth_rejected', async () => {
    fx.emu.script({ route: 'models', kind: 'expired_token' }, { route: 'models', kind: 'expired_token' })
    const error = await rejectionOf(client().models())
    expect(isUpstreamError(error) && error.code).toBe('auth_rejected')
  })
})

describe('usage()', () => {
  it('reads /backend-api/wham/usage and normalises the windows', async () => {
    fx.emu.setUsage({ primaryUsedPercent: 25, secondaryUsedPercent: 60 })
    const usage = await client().usage()
    expect(byRoute('usage').map((r) => r.path)).toEqual(['/backend-api/wham/usage'])
    expect(usage.source.upstream_path).toBe('/backend-api/wham/usage')
    expect(usage.account).toMatchObject({
      account_id: 'acct_emulator',
      email: 'dev@example.com',
      plan_type: 'plus',
    })
    expect(usage.windows.five_hour).toMatchObject({
      used_percent: 25,
      remaining_percent: 75,
      window_seconds: 18000,
      window_label: '5h',
    })
    expect(usage.windows.weekly).toMatchObject({ used_percent: 60, window_label: 'weekly' })
    expect(usage.windows.five_hour?.resets_in_seconds).toBeGreaterThan(0)
    expect(usage.raw.plan_type).toBe('plus')
  })

  it('falls back to {baseUrl}/usage when wham answers 403', async () => {
    fx.emu.setUsage({ whamForbidden: true })
    const usage = await client().usage()
    expect(byRoute('usage').map((r) => [r.path, r.status])).toEqual([
      ['/backend-api/wham/usage', 403],
      ['/backend-api/codex/usage', 200],
    ])
    expect(usage.source.upstream_path).toBe('/backend-api/codex/usage')
  })

  it('falls back on a 404 too', async () => {
    fx.emu.script({ route: 'usage', kind: 'http_error', status: 404 })
    await client().usage()
    expect(byRoute('usage').map((r) => r.path)).toEqual([
      '/backend-api/wham/usage',
      '/backend-api/codex/usage',
    ])
  })

  it('rejects a payload that is not a JSON object', async () => {
    fx.emu.script({ route: 'usage', kind: 'http_error', status: 200, body: '[1,2]' })
    const error = await rejectionOf(client().usage())
    expect(isUpstreamError(error) && error.code).toBe('upstream_http_error')
    expect((error as Error).message).toBe('Upstream usage payload is not a JSON object.')
    expect(isUpstreamError(error) && error.status).toBe(502)
  })
})

// The Codex backend of late 2026 seen from the client: one client version for /models and
// /responses, the "requires a newer version" refusal, forwarded session headers, the
// non-standard frames before the first content, and silent periods within the idle budget.
import { describe, expect, it } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { codexBody, collect, rejectionOf, textOf } from './_test-helpers'
import { compareClientVersions, parseClientVersion, resolveClientVersion } from './client-version'
import { isUpstreamError } from './errors'

const fx = useEmulatorClients({ client: { random: () => 0.5 } })
const client = fx.client

describe('client version', () => {
  it('sends one version, 0.171.0 by default, to /models and /responses, and can call gpt-6 models', async () => {
    const c = client()
    expect(c.clientVersion).toBe('0.171.0')
    const slugs = (await c.models()).map((m) => m.slug)
    expect(slugs).toContain('gpt-6-sol')
    const stream = await c.responses(codexBody({ model: 'gpt-6-sol' }))
    expect(textOf(await collect(stream))).toBe('pong')
    const models = fx.emu.requests.find((r) => r.route === 'models')
    const responses = fx.emu.requests.find((r) => r.route === 'responses')
    expect(models?.query.client_version).toBe('0.171.0')
    expect(responses?.headers.version).toBe('0.171.0')
    expect(responses?.headers['user-agent']).toBe('codex_cli_rs/0.171.0 (airelays)')
  })

  it('maps the backend refusal of a too-new model to client_version_too_old (400, not retried)', async () => {
    const c = client({ clientVersion: '0.153.4' })
    expect((await c.models()).map((m) => m.slug)).not.toContain('gpt-6-sol')
    const error = await rejectionOf(c.responses(codexBody({ model: 'gpt-6-sol' })))
    if (!isUpstreamError(error)) throw error
    expect(error.code).toBe('client_version_too_old')
    expect(error.kind).toBe('client')
    expect(error.status).toBe(400)
    expect(error.message).toContain("The 'gpt-6-sol' model requires a newer version of Codex")
    expect(fx.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(1)
  })

  it('resolves the version: configured wins, else a newer installed Codex, else 0.171.0', () => {
    expect(resolveClientVersion()).toEqual({ version: '0.171.0', source: 'default' })
    expect(resolveClientVersion({ configured: '0.150.0', installed: 'codex-cli 0.180.0' })).toEqual({
      version: '0.150.0',
      source: 'config',
    })
    expect(resolveClientVersion({ installed: 'codex-cli 0.171.2\n' })).toEqual({
      version: '0.171.2',
      source: 'installed_codex',
    })
    expect(resolveClientVersion({ installed: 'codex-cli 0.147.0' })).toEqual({
      version: '0.171.0',
      source: 'default',
    })
    expect(resolveClientVersion({ installed: 'not a version', configured: '  ' }).source).toBe('default')
    expect(parseClientVersion('codex-cli 0.130.0-alpha.5')).toEqual([0, 130, 0])
    expect(compareClientVersions('0.155.0', '0.153.4')).toBe(1)
    expect(compareClientVersions('0.99.0', '0.100.0')).toBe(-1)
    expect(compareClientVersions('1.0.0', '1.0.0')).toBe(0)
  })
})

describe('headers', () => {
  it('forwards the caller headers and the session id, never replacing its own', async () => {
    const stream = await client().responses(codexBody(), {
      sessionId: 'sess-1',
      headers: {
        'thread-id': 'thr-1',
        'x-client-request-id': 'sess-1',
        'x-codex-window-id': 'sess-1:0',
        'x-codex-turn-metadata': '{"turn_id":"t1"}',
        'x-codex-beta-features': 'remote_compaction_v2',
        'x-openai-internal-codex-responses-lite': 'true',
        authorization: 'Bearer attacker',
        version: '0.1.0',
      },
    })
    await collect(stream)
    const sent = fx.emu.requests.find((r) => r.route === 'responses')?.headers ?? {}
    expect(sent['session-id']).toBe('sess-1')
    expect(sent.session_id).toBe('sess-1')
    expect(sent['thread-id']).toBe('thr-1')
    expect(sent['x-client-request-id']).toBe('sess-1')
    expect(sent['x-codex-window-id']).toBe('sess-1:0')
    expect(sent['x-codex-turn-metadata']).toBe('{"turn_id":"t1"}')
    expect(sent['x-codex-beta-features']).toBe('remote_compaction_v2')
    expect(sent['x-openai-internal-codex-responses-lite']).toBe('true')
    expect(sent.authorization).not.toBe('Bearer attacker')
    expect(sent.version).toBe('0.171.0')
  })

  it("keeps the caller's own session-id when it differs from the session id", async () => {
    await collect(
      await client().responses(codexBody(), { sessionId: 'derived', headers: { 'session-id': 'client' } }),
    )
    const sent = fx.emu.requests.find((r) => r.route === 'responses')?.headers ?? {}
    expect(sent['session-id']).toBe('client')
  })
})

describe('non-standard frames and silence', () => {
  it('buffers response.metadata and codex.* frames with the preamble and yields every frame in order', async () => {
    fx.emu.script({ kind: 'extra_events' })
    const events = await collect(await client().responses(codexBody()))
    const types = events.map((e) => e.type)
    expect(types.slice(0, 2)).toEqual(['response.metadata', 'response.created'])
    expect(types).toContain('codex.rate_limits')
    expect(types).toContain('responsesapi.websocket_timing')
    expect(types.at(-1)).toBe('response.completed')
    expect(textOf(events)).toBe('pong')
  })

  it('an error after non-standard preamble frames is still an error before content (retried)', async () => {
    await fx.restart({ extraEvents: { metadata: true, rateLimits: true } })
    fx.emu.script({ kind: 'overload_in_stream' })
    const events = await collect(await client().responses(codexBody()))
    expect(textOf(events)).toBe('pong')
    expect(fx.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(2)
  })

  it('a silent period within the idle budget completes; one beyond it times out', async () => {
    fx.emu.script({ kind: 'silence', ms: 200 })
    const events = await collect(await client().responses(codexBody()))
    expect(events.at(-1)?.type).toBe('response.completed')
    fx.emu.script({ kind: 'silence', ms: 5_000 })
    const error = await rejectionOf(
      client({ streamIdleTimeoutMs: 50, retry: { attempts: 0 } }).responses(codexBody()),
    )
    if (!isUpstreamError(error)) throw error
    expect(error.code).toBe('timeout')
  })
})

describe('usage of late 2026', () => {
  it('reads additional limits, credits, spend control, reached type and reset credits', async () => {
    fx.emu.setUsage({
      additionalRateLimits: [
        { limit_name: 'codex_other', metered_feature: 'codex_bengalfox', usedPercent: 40 },
      ],
      spendControl: { reached: false, reached_limit_type: null },
      hasCredits: true,
      creditsBalance: '7.5',
      rateLimitReachedType: 'workspace_member_credits_depleted',
      resetCreditsAvailable: 1,
      codeReviewUsedPercent: 3,
    })
    const usage = await client().usage()
    expect(usage.rate_limits.additional).toHaveLength(1)
    expect(usage.rate_limits.additional[0]?.limit_name).toBe('codex_other')
    expect(usage.rate_limits.additional[0]?.rate_limit?.primary_window?.used_percent).toBe(40)
    expect(usage.rate_limits.code_review?.primary_window?.window_label).toBe('weekly')
    expect(usage.credits).toMatchObject({ has_credits: true, balance: '7.5' })
    expect(usage.spend_control).toEqual({ reached: false, reached_limit_type: null })
    expect(usage.rate_limit_reached_type).toBe('workspace_member_credits_depleted')
    expect(usage.rate_limit_reset_credits).toEqual({ available_count: 1 })
    expect(usage.windows.five_hour?.window_seconds).toBe(18000)
  })

  it('a weekly-only plan has a weekly window and no five-hour one', async () => {
    fx.emu.setUsage({ weeklyOnly: true, secondaryUsedPercent: 61 })
    const usage = await client().usage()
    expect(usage.windows.five_hour).toBeNull()
    expect(usage.windows.weekly?.used_percent).toBe(61)
    expect(usage.windows.weekly?.window_label).toBe('weekly')
  })
})

// The real Codex CLI against the Codex backend of late 2026 (issue 18): a model gated above client
// 0.155, and remote compaction v2 (a trailing compaction_trigger answered with one compaction item).
import { expect, it } from 'vitest'
import { expectAnswer, inputOf, responsesCalls, upstreamResponses, useClientSuite } from './_suite'

const suite = useClientSuite()

it('runs a turn on gpt-6-sol (minimal_client_version 0.155.0) with the relay announcing 0.171.0', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'gpt6-sol-answer' } })

  expectAnswer(await suite.codex(s, { prompt: 'Say hello', model: 'gpt-6-sol' }), 'gpt6-sol-answer')

  const upstream = upstreamResponses(s)
  expect(upstream).toHaveLength(1)
  const sent = upstream[0]
  expect((sent?.body as { model?: string } | undefined)?.model).toBe('gpt-6-sol')
  expect(sent?.headers.version).toBe('0.171.0')
  // Codex's session and turn headers reach the backend
  const [client] = responsesCalls(s).filter((r) => r.method === 'POST')
  for (const name of [
    'session-id',
    'thread-id',
    'x-client-request-id',
    'x-codex-window-id',
    'x-codex-turn-metadata',
  ]) {
    expect(sent?.headers[name], name).toBe(client?.headers[name])
  }
  expect(sent?.headers['x-codex-beta-features']).toBe('remote_compaction_v2')
  for (const m of s.emu.requests.filter((r) => r.route === 'models')) {
    expect(m.query.client_version).toBe('0.171.0')
  }
}, 120_000)

it('compacts with remote compaction v2: the trailing trigger is answered with one compaction item', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'first-answer' } })
  const first = await suite.codex(s, { prompt: 'First', provider: 'builtin' })
  expectAnswer(first, 'first-answer')

  // the compaction call takes (and ignores) the first reply; the resumed turn takes the second
  s.emu.script(
    { kind: 'reply', output: { text: 'resumed-answer' } },
    { kind: 'reply', output: { text: 'resumed-answer' } },
  )
  const resumed = await suite.resume(s, first, {
    prompt: 'And now?',
    provider: 'builtin',
    configToml: 'model_auto_compact_token_limit = 1000',
    timeoutMs: 150_000,
  })
  expectAnswer(resumed, 'resumed-answer')
  expect(resumed.stderr).not.toContain('expected exactly one compaction output item')

  const upstream = upstreamResponses(s)
  const compaction = upstream.find((r) => inputOf(r.body).at(-1)?.type === 'compaction_trigger')
  expect(compaction, 'a compaction request reached the backend').toBeDefined()
  // the compaction item came back in a later turn's input
  const later = upstream.slice(upstream.indexOf(compaction as (typeof upstream)[number]) + 1)
  expect(later.some((r) => inputOf(r.body).some((item) => item.type === 'compaction'))).toBe(true)
}, 300_000)

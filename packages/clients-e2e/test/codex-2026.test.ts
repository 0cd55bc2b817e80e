// The real Codex CLI against the Codex backend of late 2026 (issue 18): a model gated above client
// 0.155, and remote compaction v2 (a trailing compaction_trigger answered with one compaction item).
import { afterEach, expect, it } from 'vitest'
import { killPrograms, type RecordedClientRequest, runCodexExec, type Stack, startStack } from './_harness'

const stacks: Stack[] = []
const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  killPrograms()
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const stack of stacks.splice(0)) await stack.close()
})

async function stack(): Promise<Stack> {
  const started = await startStack({ record: true })
  stacks.push(started)
  return started
}

type Item = { type?: string; role?: string; encrypted_content?: string }

function inputOf(body: unknown): Item[] {
  return ((body as { input?: Item[] } | null)?.input ?? []) as Item[]
}

function posts(s: Stack): RecordedClientRequest[] {
  return (s.recorder?.requests ?? []).filter((r) => r.path === '/v1/responses' && r.method === 'POST')
}

it('runs a turn on gpt-6-sol (minimal_client_version 0.155.0) with the relay announcing 0.169.0', async () => {
  const s = await stack()
  s.emu.script({ kind: 'reply', output: { text: 'gpt6-sol-answer' } })

  const run = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'Say hello',
    model: 'gpt-6-sol',
    proxyUrl: s.outside.url,
  })
  cleanups.push(run.cleanup)

  expect(run.timedOut).toBe(false)
  expect(run.exitCode, run.stderr).toBe(0)
  expect(run.stdout.trim()).toBe('gpt6-sol-answer')

  const upstream = s.emu.requests.filter((r) => r.route === 'responses')
  expect(upstream).toHaveLength(1)
  const sent = upstream[0]
  expect((sent?.body as { model?: string } | undefined)?.model).toBe('gpt-6-sol')
  expect(sent?.headers.version).toBe('0.169.0')
  // Codex's session and turn headers reach the backend
  const [client] = posts(s)
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
    expect(m.query.client_version).toBe('0.169.0')
  }
}, 120_000)

it('compacts with remote compaction v2: the trailing trigger is answered with one compaction item', async () => {
  const s = await stack()
  s.emu.script({ kind: 'reply', output: { text: 'first-answer' } })
  const first = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'First',
    provider: 'builtin',
    proxyUrl: s.outside.url,
  })
  cleanups.push(first.cleanup)
  expect(first.exitCode, first.stderr).toBe(0)
  expect(first.stdout.trim()).toBe('first-answer')

  // the compaction call takes (and ignores) the first reply; the resumed turn takes the second
  s.emu.script(
    { kind: 'reply', output: { text: 'resumed-answer' } },
    { kind: 'reply', output: { text: 'resumed-answer' } },
  )
  const resumed = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'And now?',
    subcommand: ['resume', '--last'],
    provider: 'builtin',
    codexHome: first.codexHome,
    cwd: first.cwd,
    configToml: 'model_auto_compact_token_limit = 1000',
    proxyUrl: s.outside.url,
    timeoutMs: 150_000,
  })
  expect(resumed.exitCode, resumed.stderr).toBe(0)
  expect(resumed.stdout.trim()).toBe('resumed-answer')
  expect(resumed.stderr).not.toContain('expected exactly one compaction output item')

  const upstream = s.emu.requests.filter((r) => r.route === 'responses')
  const compaction = upstream.find((r) => inputOf(r.body).at(-1)?.type === 'compaction_trigger')
  expect(compaction, 'a compaction request reached the backend').toBeDefined()
  // the compaction item came back in a later turn's input
  const later = upstream.slice(upstream.indexOf(compaction as (typeof upstream)[number]) + 1)
  expect(later.some((r) => inputOf(r.body).some((item) => item.type === 'compaction'))).toBe(true)
}, 300_000)

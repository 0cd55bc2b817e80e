// The real Codex CLI over the relay's Responses WebSocket (issue 25): the built-in provider
// (`openai_base_url`, API-key login) and a custom provider with `supports_websockets = true`,
// through the recorder (which tunnels the upgrade) and the relay, against the upstream emulator.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CodexExecOptions, Stack } from './_harness'
import * as e2e from './_suite'

const suite = e2e.useClientSuite()

type LogRecord = Record<string, unknown> & { phase: string }

/** Every traffic log record of the relay, in order. */
async function relayLog(s: Stack): Promise<LogRecord[]> {
  const dir = s.config.paths.logs_dir
  const files: string[] = []
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.name.endsWith('.log')) files.push(full)
    }
  }
  await walk(dir)
  const lines = (await Promise.all(files.sort().map((f) => readFile(f, 'utf8')))).flatMap((text) =>
    text.split('\n').filter((line) => line !== ''),
  )
  return lines.map((line) => JSON.parse(line) as LogRecord)
}

/**
 * The `response.create` frames the relay logged (one `inbound_request` each, transport websocket)
 * that asked for a generation, each with the id of the response it produced. Codex first sends a
 * warm-up `response.create` with `generate: false`, answered by the relay without an upstream call.
 */
async function socketTurns(s: Stack): Promise<Array<{ body: Record<string, unknown>; responseId: unknown }>> {
  const records = await relayLog(s)
  const ids = new Map(
    records.filter((r) => r.phase === 'outbound_response').map((r) => [r.request_id, r.id] as const),
  )
  const creates = records
    .filter((r) => r.phase === 'inbound_request' && r.transport === 'websocket')
    .map((r) => ({
      body: (r.body as { json: Record<string, unknown> }).json,
      responseId: ids.get(r.request_id),
    }))
  expect(creates[0]?.body.generate).toBe(false)
  return creates.filter((c) => c.body.generate !== false)
}

const providers: Array<{ name: string; options: Pick<CodexExecOptions, 'provider' | 'providerToml'> }> = [
  { name: 'built-in provider (openai_base_url)', options: { provider: 'builtin' } },
  { name: 'custom provider (supports_websockets)', options: { providerToml: 'supports_websockets = true' } },
]

describe.each(providers)('Codex over the Responses WebSocket, $name', ({ options }) => {
  it('answers a one-turn exec over one upgrade, with no HTTP fallback and no retry', async () => {
    const s = await suite.stack()
    s.emu.script({ kind: 'reply', output: { text: 'ws-one-turn-ok' } })
    const run = await suite.codex(s, { prompt: 'Say hello', ...options })
    e2e.expectAnswer(run, 'ws-one-turn-ok')
    expect(run.stderr).not.toContain('Falling back')
    expect(run.stderr).not.toContain('Reconnecting')

    const calls = e2e.responsesCalls(s)
    expect(calls.map((r) => [r.method, r.upgrade, r.status])).toEqual([['GET', true, 101]])
    const turns = await socketTurns(s)
    expect(turns).toHaveLength(1)
    expect(turns[0]?.body).toMatchObject({ type: 'response.create', model: 'gpt-5.5' })
    expect(e2e.upstreamResponses(s)).toHaveLength(1)
  })

  it('runs a tool-call round trip whose second turn carries only the new items', async () => {
    const s = await suite.stack()
    s.emu.script(e2e.markerToolCall, { kind: 'reply', output: { text: 'ws-tool-done' } })
    const run = await suite.codex(s, { prompt: 'Write the marker file', ...options })
    e2e.expectAnswer(run, 'ws-tool-done')
    expect(await readFile(join(run.cwd, 'marker.txt'), 'utf8')).toBe('tool-ran-ok')

    const turns = await socketTurns(s)
    expect(turns).toHaveLength(2)
    const [first, second] = turns
    expect(second?.body.previous_response_id).toBe(first?.responseId)
    const secondInput = (second?.body.input ?? []) as e2e.Item[]
    // Only what is new since the first response: no base prompt, no user prompt again.
    expect(secondInput.map((item) => item.type)).not.toContain('message')
    expect(secondInput.map((item) => item.type)).toContain('function_call_output')
    expect(secondInput.length).toBeLessThan(((first?.body.input ?? []) as e2e.Item[]).length + 2)

    // Upstream (HTTP) still got the whole thread: the relay held it for the connection.
    const upstream = e2e.upstreamResponses(s)
    expect(upstream).toHaveLength(2)
    const upstreamInput = e2e.inputOf(upstream[1]?.body)
    const types = upstreamInput.map((item) => item.type)
    expect(types).toContain('function_call')
    expect(types).toContain('function_call_output')
    expect(upstreamInput.some((item) => e2e.texts(item).includes('Write the marker file'))).toBe(true)
    // One connection carried both turns.
    expect(e2e.responsesCalls(s).map((r) => [r.method, r.upgrade, r.status])).toEqual([['GET', true, 101]])
  })

  it('continues a thread with exec resume over a new connection', async () => {
    const s = await suite.stack()
    s.emu.script({ kind: 'reply', output: { text: 'ws-first' } })
    const first = await suite.codex(s, { prompt: 'First', ...options })
    e2e.expectAnswer(first, 'ws-first')

    s.emu.script({ kind: 'reply', output: { text: 'ws-resumed' } })
    const resumed = await suite.resume(s, first, {
      prompt: 'And now?',
      ...options,
    })
    e2e.expectAnswer(resumed, 'ws-resumed')
    expect(resumed.stderr).not.toContain('Falling back')

    const upstream = e2e.upstreamResponses(s)
    expect(upstream).toHaveLength(2)
    const history = e2e.inputOf(upstream[1]?.body)
    expect(e2e.texts(history.find((item) => item.role === 'assistant'))).toEqual(['ws-first'])
    expect(e2e.texts(history.at(-1))).toEqual(['And now?'])
    expect(e2e.responsesCalls(s).every((r) => r.method === 'GET' && r.upgrade && r.status === 101)).toBe(true)
  })
})

it('falls back to HTTP after one refused upgrade when WebSocket is off on the relay', async () => {
  const s = await suite.stack({ env: { AIRELAYS_WEBSOCKETS: 'false' } })
  s.emu.script({ kind: 'reply', output: { text: 'http-after-426' } })
  const run = await suite.codex(s, {
    prompt: 'Say hello',
    providerToml: 'supports_websockets = true',
  })
  e2e.expectAnswer(run, 'http-after-426')
  const calls = e2e.responsesCalls(s)
  expect(calls.map((r) => [r.method, r.upgrade, r.status])).toEqual([
    ['GET', true, 426],
    ['POST', false, 200],
  ])
})

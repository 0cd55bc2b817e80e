// The real Codex CLI (the pinned @openai/codex) through the relay against the upstream emulator,
// as a custom `responses` provider. Each test starts its own emulator, relay and recorder.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
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

type Item = { type?: string; role?: string; call_id?: string; output?: unknown; content?: unknown }

function inputOf(request: RecordedClientRequest | undefined): Item[] {
  return ((request?.body as { input?: Item[] } | null)?.input ?? []) as Item[]
}

function texts(item: Item | undefined): string[] {
  const content = item?.content
  if (!Array.isArray(content)) return []
  return content.map((part: { text?: string }) => part.text ?? '')
}

function responsesCalls(s: Stack): RecordedClientRequest[] {
  return (s.recorder?.requests ?? []).filter((r) => r.path === '/v1/responses')
}

it('answers a one-turn codex exec with the text the upstream produced', async () => {
  const s = await stack()
  s.emu.script({ kind: 'reply', output: { text: 'codex-one-turn-ok' } })

  const run = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'Say hello',
    proxyUrl: s.outside.url,
  })
  cleanups.push(run.cleanup)

  expect(run.timedOut).toBe(false)
  expect(run.exitCode, run.stderr).toBe(0)
  expect(run.stdout.trim()).toBe('codex-one-turn-ok')

  // One plain HTTP POST (a custom provider without supports_websockets makes no upgrade attempt).
  const calls = responsesCalls(s)
  expect(calls.map((r) => [r.method, r.upgrade, r.status])).toEqual([['POST', false, 200]])
  const sent = calls[0] as RecordedClientRequest
  expect(sent.headers.authorization).toBe(`Bearer ${s.token}`)
  expect(sent.headers.originator).toBe('codex_exec')
  expect(sent.headers['session-id']).toMatch(/^[0-9a-f-]{36}$/)
  expect(sent.body).toMatchObject({ model: 'gpt-5.5', stream: true, store: false })
  expect(texts(inputOf(sent).at(-1))).toEqual(['Say hello'])

  const upstream = s.emu.requests.filter((r) => r.route === 'responses')
  expect(upstream).toHaveLength(1)
  expect(upstream[0]?.body).toMatchObject({ model: 'gpt-5.5', store: false, stream: true })
})

it('runs a tool-call round trip: the command runs and its output goes back upstream', async () => {
  const s = await stack()
  s.emu.script(
    {
      kind: 'reply',
      output: {
        toolCalls: [
          { name: 'exec_command', arguments: { cmd: 'printf tool-ran-ok > marker.txt; echo written' } },
        ],
      },
    },
    { kind: 'reply', output: { text: 'tool-roundtrip-done' } },
  )

  const run = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'Write the marker file',
    proxyUrl: s.outside.url,
  })
  cleanups.push(run.cleanup)

  expect(run.exitCode, run.stderr).toBe(0)
  expect(run.stdout.trim()).toBe('tool-roundtrip-done')
  expect(await readFile(join(run.cwd, 'marker.txt'), 'utf8')).toBe('tool-ran-ok')

  const calls = responsesCalls(s)
  expect(calls).toHaveLength(2)
  const second = inputOf(calls[1])
  const call = second.find((item) => item.type === 'function_call')
  const output = second.find((item) => item.type === 'function_call_output')
  expect(call?.call_id).toBeTruthy()
  expect(output?.call_id).toBe(call?.call_id)
  expect(String(output?.output)).toContain('written')
  // The relay forwarded the same items upstream.
  const upstreamSecond = s.emu.requests.filter((r) => r.route === 'responses')[1]
  const upstreamInput = (upstreamSecond?.body as { input?: Item[] } | undefined)?.input ?? []
  const upstreamTypes = upstreamInput.map((item) => item.type)
  expect(upstreamTypes).toContain('function_call_output')
})

it('continues a thread with codex exec resume --last', async () => {
  const s = await stack()
  s.emu.script({ kind: 'reply', output: { text: 'first-answer' } })
  const first = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'First',
    proxyUrl: s.outside.url,
  })
  cleanups.push(first.cleanup)
  expect(first.exitCode, first.stderr).toBe(0)
  expect(first.stdout.trim()).toBe('first-answer')

  s.emu.script({ kind: 'reply', output: { text: 'resumed-answer' } })
  const resumed = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'And now?',
    subcommand: ['resume', '--last'],
    codexHome: first.codexHome,
    cwd: first.cwd,
    proxyUrl: s.outside.url,
  })
  expect(resumed.exitCode, resumed.stderr).toBe(0)
  expect(resumed.stdout.trim()).toBe('resumed-answer')

  const calls = responsesCalls(s)
  expect(calls).toHaveLength(2)
  const [a, b] = calls
  expect(b?.headers['session-id']).toBe(a?.headers['session-id'])
  const history = inputOf(b)
  const assistant = history.find((item) => item.role === 'assistant')
  expect(texts(assistant)).toEqual(['first-answer'])
  expect(texts(history.at(-1))).toEqual(['And now?'])
})

it('runs a Responses Lite turn (gpt-5.6-sol): the additional_tools item reaches the upstream untouched', async () => {
  const s = await stack()
  s.emu.script({ kind: 'reply', output: { text: 'sol-answer' } })

  const run = await runCodexExec({
    relayUrl: s.url,
    token: s.token,
    prompt: 'Say hello',
    model: 'gpt-5.6-sol',
    proxyUrl: s.outside.url,
  })
  cleanups.push(run.cleanup)

  expect(run.exitCode, run.stderr).toBe(0)
  expect(run.stdout.trim()).toBe('sol-answer')

  const [sent] = responsesCalls(s)
  const first = inputOf(sent)[0] as Item & { tools?: unknown }
  expect(first.type).toBe('additional_tools')
  expect((sent?.body as { tools?: unknown } | undefined)?.tools).toBeUndefined()

  const upstream = s.emu.requests.filter((r) => r.route === 'responses')
  expect(upstream).toHaveLength(1)
  const upstreamBody = upstream[0]?.body as { input?: Array<Item & { tools?: unknown }> } | undefined
  const upstreamFirst = upstreamBody?.input?.[0]
  expect(upstreamFirst?.type).toBe('additional_tools')
  expect(upstreamFirst?.tools).toEqual(first.tools)
})

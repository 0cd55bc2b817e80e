// The real Codex CLI (the pinned @openai/codex) through the relay against the upstream emulator,
// as a custom `responses` provider. Each test starts its own emulator, relay and recorder.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import {
  expectAnswer,
  inputOf,
  markerToolCall,
  responsesCalls,
  texts,
  upstreamResponses,
  useClientSuite,
} from './_suite'

const suite = useClientSuite()

it('answers a one-turn codex exec with the text the upstream produced', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'codex-one-turn-ok' } })

  expectAnswer(await suite.codex(s, { prompt: 'Say hello' }), 'codex-one-turn-ok')

  // One plain HTTP POST (a custom provider without supports_websockets makes no upgrade attempt).
  const calls = responsesCalls(s)
  expect(calls.map((r) => [r.method, r.upgrade, r.status])).toEqual([['POST', false, 200]])
  const sent = calls[0]
  expect(sent?.headers.authorization).toBe(`Bearer ${s.token}`)
  expect(sent?.headers.originator).toBe('codex_exec')
  expect(sent?.headers['session-id']).toMatch(/^[0-9a-f-]{36}$/)
  expect(sent?.body).toMatchObject({ model: 'gpt-5.5', stream: true, store: false })
  expect(texts(inputOf(sent?.body).at(-1))).toEqual(['Say hello'])

  const upstream = upstreamResponses(s)
  expect(upstream).toHaveLength(1)
  expect(upstream[0]?.body).toMatchObject({ model: 'gpt-5.5', store: false, stream: true })
})

it('runs a tool-call round trip: the command runs and its output goes back upstream', async () => {
  const s = await suite.stack()
  s.emu.script(markerToolCall, { kind: 'reply', output: { text: 'tool-roundtrip-done' } })

  const run = await suite.codex(s, { prompt: 'Write the marker file' })
  expectAnswer(run, 'tool-roundtrip-done')
  expect(await readFile(join(run.cwd, 'marker.txt'), 'utf8')).toBe('tool-ran-ok')

  const calls = responsesCalls(s)
  expect(calls).toHaveLength(2)
  const second = inputOf(calls[1]?.body)
  const call = second.find((item) => item.type === 'function_call')
  const output = second.find((item) => item.type === 'function_call_output')
  expect(call?.call_id).toBeTruthy()
  expect(output?.call_id).toBe(call?.call_id)
  expect(String(output?.output)).toContain('written')
  // The relay forwarded the same items upstream.
  const upstreamTypes = inputOf(upstreamResponses(s)[1]?.body).map((item) => item.type)
  expect(upstreamTypes).toContain('function_call_output')
})

it('continues a thread with codex exec resume --last', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'first-answer' } })
  const first = await suite.codex(s, { prompt: 'First' })
  expectAnswer(first, 'first-answer')

  s.emu.script({ kind: 'reply', output: { text: 'resumed-answer' } })
  const resumed = await suite.resume(s, first, {
    prompt: 'And now?',
  })
  expectAnswer(resumed, 'resumed-answer')

  const calls = responsesCalls(s)
  expect(calls).toHaveLength(2)
  const [a, b] = calls
  expect(b?.headers['session-id']).toBe(a?.headers['session-id'])
  const history = inputOf(b?.body)
  const assistant = history.find((item) => item.role === 'assistant')
  expect(texts(assistant)).toEqual(['first-answer'])
  expect(texts(history.at(-1))).toEqual(['And now?'])
})

it('runs a Responses Lite turn (gpt-5.6-sol): the additional_tools item reaches the upstream untouched', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'sol-answer' } })

  expectAnswer(await suite.codex(s, { prompt: 'Say hello', model: 'gpt-5.6-sol' }), 'sol-answer')

  const [sent] = responsesCalls(s)
  const first = inputOf(sent?.body)[0]
  expect(first?.type).toBe('additional_tools')
  expect((sent?.body as { tools?: unknown } | undefined)?.tools).toBeUndefined()

  const upstream = upstreamResponses(s)
  expect(upstream).toHaveLength(1)
  const upstreamFirst = inputOf(upstream[0]?.body)[0]
  expect(upstreamFirst?.type).toBe('additional_tools')
  expect(upstreamFirst?.tools).toEqual(first?.tools)
})

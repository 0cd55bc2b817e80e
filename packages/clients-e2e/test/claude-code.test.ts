// The real Claude Code CLI (the pinned @anthropic-ai/claude-code) in print mode through the
// relay's Anthropic Messages API against the upstream emulator. Claude Code sends ~25 tools, so
// the emulator's replies are scripted: a text, or a call of Claude Code's Read tool and a text.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { inputOf, upstreamResponses, useClientSuite } from './_suite'

const suite = useClientSuite()

it('answers a one-turn claude -p with the text the upstream produced', async () => {
  const s = await suite.stack()
  s.emu.script({ kind: 'reply', output: { text: 'Hello from the relay, Claude Code.' } })
  const run = await suite.claude(s, { prompt: 'say hi' })
  expect(run.timedOut).toBe(false)
  expect(run.stdout).toContain('Hello from the relay, Claude Code.')
  expect(run.exitCode).toBe(0)
  const messages = (s.recorder?.requests ?? []).filter((r) => r.path.startsWith('/v1/messages'))
  expect(messages.length).toBeGreaterThanOrEqual(1)
  // Claude Code's default Opus id reached the backend as the mapped subscription model
  expect((upstreamResponses(s)[0]?.body as { model?: string } | undefined)?.model).toBe('gpt-5.5')
})

it('runs a claude -p turn that reads a file with its Read tool, then answers', async () => {
  const s = await suite.stack()
  const cwd = await mkdtemp(join(tmpdir(), 'airelays-claude-cwd-'))
  suite.defer(() => rm(cwd, { recursive: true, force: true }))
  const file = join(cwd, 'secret.txt')
  await writeFile(file, 'the secret word is plum\n')
  s.emu.script(
    { kind: 'reply', output: { toolCalls: [{ name: 'Read', arguments: { file_path: file } }] } },
    { kind: 'reply', output: { text: 'The secret word is plum.' } },
  )
  const run = await suite.claude(s, { prompt: 'What is the secret word in secret.txt?', cwd })
  expect(run.timedOut).toBe(false)
  expect(run.stdout).toContain('The secret word is plum.')
  expect(run.exitCode).toBe(0)
  const inputs = upstreamResponses(s).map((r) => inputOf(r.body))
  expect(inputs.length).toBeGreaterThanOrEqual(2)
  const second = inputs[inputs.length - 1] ?? []
  const call = second.find((item) => item.type === 'function_call')
  expect(call?.name).toBe('Read')
  const output = second.find((item) => item.type === 'function_call_output')
  expect(output?.call_id).toBe(call?.call_id)
  expect(JSON.stringify(output?.output)).toContain('the secret word is plum')
})

import { existsSync } from 'node:fs'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { CliProcess, createSandbox, killAll, runCli, type Sandbox } from './_helpers'

let box: Sandbox
beforeEach(async () => {
  box = await createSandbox()
})
afterEach(async () => {
  await killAll()
  await box.cleanup()
})

it('runs offline to completion: device login, relay, one streamed answer, cleanup', async () => {
  // No emulator URLs in the environment: the demo brings its own and needs no account.
  const result = await runCli(
    ['demo'],
    box.env({ HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' }),
    {
      timeoutMs: 60_000,
    },
  )
  expect(result.code, result.stderr).toBe(0)
  const out = result.stdout
  expect(out).toMatch(/^AIRelays \S+ Demo\n/)
  expect(out).toMatch(/ {2}1\. Open: http:\/\/127\.0\.0\.1:\d+\/codex\/device\n/)
  expect(out).toMatch(/ {2}2\. Enter this code: [A-Z0-9]{4}-[A-Z0-9]{4}\n/)
  expect(out).toContain('  Signed in:        dev@example.com (plus), account acct_emulator\n')
  expect(out).toContain(
    '  Route:            client -> relay POST /v1/chat/completions -> emulator POST /backend-api/codex/responses\n',
  )
  expect(out).toMatch(/ {2}Request id: {7}req_[0-9a-f]{32}\n/)
  expect(out).toContain('  Ignored params:   temperature\n')
  expect(out).toContain(
    'Answer (streamed)\n  Hello from AIRelays! This answer streamed from the emulator, through the relay, to the openai client.\n',
  )
  expect(out).toMatch(/ {2}Upstream calls: {3}1 \(POST \/backend-api\/codex\/responses, model gpt-5\.5\)\n/)
  const logLines = Number(out.match(/ {2}Traffic log: {6}(\d+) lines/)?.[1])
  expect(logLines).toBeGreaterThan(0)
  const dir = out.match(/ {2}Temp dir: {9}(\S+)\n/)?.[1] as string
  expect(out).toContain(`Stopped the relay and the emulator; removed ${dir}.`)
  expect(existsSync(dir)).toBe(false)
})

it('Ctrl-C during the login stops everything, removes the temp dir and exits 130', async () => {
  const demo = new CliProcess(['demo'], box.env())
  const [, dir] = await demo.waitFor(/ {2}Temp dir: {9}(\S+)\n/)
  await demo.waitFor(/Enter this code/)
  demo.kill('SIGINT')
  const exit = await demo.exited
  expect(exit.code).toBe(130)
  expect(exit.stderr).toContain('Error: Demo cancelled.')
  expect(existsSync(dir as string)).toBe(false)
})

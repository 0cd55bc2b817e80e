// The set-up every real-client test file shares: a recorded stack per test, closed after it with
// the client programs and temp dirs; runners that aim Codex and Claude Code at that stack; and
// readers of the Responses requests the recorder and the emulator saw.
import type { EmulatorBehaviour, RecordedRequest } from '@airelays/upstream-emulator'
import { afterEach, expect } from 'vitest'
import {
  type ClaudePrintOptions,
  type ClaudePrintResult,
  type CodexExecOptions,
  type CodexExecResult,
  killPrograms,
  type ProgramResult,
  type RecordedClientRequest,
  runClaudePrint,
  runCodexExec,
  type Stack,
  type StackOptions,
  startStack,
} from './_harness'

/** An input item as the tests read it. */
export type Item = {
  type?: string
  role?: string
  name?: string
  call_id?: string
  output?: unknown
  content?: unknown
  encrypted_content?: string
  tools?: unknown
}

/** Per-test stacks and client runs of one test file (see {@link useClientSuite}). */
export interface ClientSuite {
  /** A recorded stack (`record: true`), closed after the test. */
  stack(options?: StackOptions): Promise<Stack>
  /** `codex exec` aimed at `s` (its URL, token and outside proxy); its temp dirs go after the test. */
  codex(
    s: Stack,
    options: Omit<CodexExecOptions, 'relayUrl' | 'token' | 'proxyUrl'>,
  ): Promise<CodexExecResult>
  /** `codex exec resume --last` in the CODEX_HOME and working directory of an earlier run. */
  resume(
    s: Stack,
    earlier: CodexExecResult,
    options: Omit<CodexExecOptions, 'relayUrl' | 'token' | 'proxyUrl' | 'subcommand'>,
  ): Promise<CodexExecResult>
  /** `claude -p` aimed at `s`; its temp dirs go after the test. */
  claude(
    s: Stack,
    options: Omit<ClaudePrintOptions, 'relayUrl' | 'token' | 'proxyUrl'>,
  ): Promise<ClaudePrintResult>
  /** Run `cleanup` after the test (before the stacks close). */
  defer(cleanup: () => Promise<void>): void
}

/** Register the after-each clean-up of a test file and return its stack and client runners. */
export function useClientSuite(): ClientSuite {
  const stacks: Stack[] = []
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    killPrograms()
    for (const cleanup of cleanups.splice(0)) await cleanup()
    for (const stack of stacks.splice(0)) await stack.close()
  })
  return {
    async stack(options = {}) {
      const started = await startStack({ record: true, ...options })
      stacks.push(started)
      return started
    },
    async codex(s, options) {
      const run = await runCodexExec({ relayUrl: s.url, token: s.token, proxyUrl: s.outside.url, ...options })
      cleanups.push(run.cleanup)
      return run
    },
    resume(s, earlier, options) {
      return this.codex(s, {
        subcommand: ['resume', '--last'],
        codexHome: earlier.codexHome,
        cwd: earlier.cwd,
        ...options,
      })
    },
    async claude(s, options) {
      const run = await runClaudePrint({
        relayUrl: s.url,
        token: s.token,
        proxyUrl: s.outside.url,
        ...options,
      })
      cleanups.push(run.cleanup)
      return run
    },
    defer(cleanup) {
      cleanups.push(cleanup)
    },
  }
}

/** The program ran to completion (exit 0, not killed) and printed exactly `text`. */
export function expectAnswer(run: ProgramResult, text: string): void {
  expect(run.timedOut).toBe(false)
  expect(run.exitCode, run.stderr).toBe(0)
  expect(run.stdout.trim()).toBe(text)
}

/** The `input` items of a Responses body. */
export function inputOf(body: unknown): Item[] {
  return ((body as { input?: Item[] } | null)?.input ?? []) as Item[]
}

/** The texts of a message item's content parts. */
export function texts(item: Item | undefined): string[] {
  const content = item?.content
  if (!Array.isArray(content)) return []
  return content.map((part: { text?: string }) => part.text ?? '')
}

/** What the client sent to `/v1/responses` (POSTs and upgrades), as the recorder saw it. */
export function responsesCalls(s: Stack): RecordedClientRequest[] {
  return (s.recorder?.requests ?? []).filter((r) => r.path === '/v1/responses')
}

/** The `/responses` calls that reached the emulator, in order. */
export function upstreamResponses(s: Stack): RecordedRequest[] {
  return s.emu.requests.filter((r) => r.route === 'responses')
}

/**
 * A scripted reply that calls Codex's `exec_command` to write `marker.txt` (holding
 * `tool-ran-ok`) in the working directory and print `written`.
 */
export const markerToolCall: EmulatorBehaviour = {
  kind: 'reply',
  output: {
    toolCalls: [
      { name: 'exec_command', arguments: { cmd: 'printf tool-ran-ok > marker.txt; echo written' } },
    ],
  },
}

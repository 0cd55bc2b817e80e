import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SLOT, generateRelayToken, tokenFingerprint, writeRelayToken } from '@airelays/auth-store'
import type { ResolvedConfig } from '@airelays/config'
import { loadConfig } from '@airelays/config'
import type { RelayServer } from '@airelays/server'
import type { UpstreamEmulator } from '@airelays/upstream-emulator'
import { type InterruptSignal, onInterrupt, signalExitCode } from '../_internal/interrupt'
import { authStoreFor, readLoginState, storageText } from '../_internal/login-state'
import type { Terminal } from '../_internal/output'
import { startWaitStatus } from '../_internal/wait-status'
import { CliError } from '../errors'

const DEMO_MODEL = 'gpt-5.5'
const DEMO_ANSWER =
  'Hello from AIRelays! This answer streamed from the emulator, through the relay, to the openai client.'

/**
 * Loopback traffic must never go through a proxy configured for the real internet: the demo
 * process adds the loopback names to NO_PROXY / no_proxy (its own environment only).
 */
function bypassProxyForLoopback(): void {
  const env = process.env
  if (!env.HTTP_PROXY && !env.http_proxy && !env.HTTPS_PROXY && !env.https_proxy) return
  for (const name of ['NO_PROXY', 'no_proxy']) {
    const current = env[name]?.trim()
    env[name] = current ? `${current},127.0.0.1,localhost,::1` : '127.0.0.1,localhost,::1'
  }
}

/** Lines in every `*.log` file under `dir` (the relay's hourly JSONL traffic logs). */
async function countLogLines(dir: string): Promise<{ files: number; lines: number }> {
  let files = 0
  let lines = 0
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.log')) continue
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8')
    files += 1
    lines += text.split('\n').filter((line) => line.trim() !== '').length
  }
  return { files, lines }
}

/** One demo run: what the steps share, and what the cleanup must stop. */
interface DemoRun {
  readonly term: Terminal
  readonly controller: AbortController
  interrupted: InterruptSignal | null
  /** Cancels the pending device login, while there is one. */
  cancelLogin: (() => Promise<void>) | null
  dir: string | null
  emulator: UpstreamEmulator | null
  relay: RelayServer | null
}

/** Throws the cancellation error once Ctrl-C was pressed. */
function checkpoint(run: DemoRun): void {
  if (run.controller.signal.aborted) throw run.controller.signal.reason
}

/**
 * `airelays demo`: an offline walk through the whole product. It starts the upstream emulator and
 * a relay on free loopback ports with a temporary data dir, signs in with a real device-code
 * login against the emulator (which approves itself), streams one chat completion through the
 * official `openai` client, shows the route it took, counts the traffic-log lines, then stops
 * everything and removes the temporary directory (also on Ctrl-C).
 */
export async function runDemo(term: Terminal): Promise<number> {
  const run: DemoRun = {
    term,
    controller: new AbortController(),
    interrupted: null,
    cancelLogin: null,
    dir: null,
    emulator: null,
    relay: null,
  }
  const dispose = onInterrupt((signal) => {
    if (run.interrupted) return
    run.interrupted = signal
    run.controller.abort(
      new CliError('Demo cancelled.', { code: 'cancelled', exitCode: signalExitCode(signal) }),
    )
    void run.cancelLogin?.().catch(() => {})
  })
  try {
    bypassProxyForLoopback()
    const out = term.out
    out.title('Demo')
    out.note('Everything runs on this machine: a local emulator stands in for ChatGPT, so no account')
    out.note('and no network are needed. Nothing is written outside a temporary directory.')
    const config = await setUp(run)
    await signIn(run, config)
    const relay = await startRelay(run, config)
    const answer = await streamAnswer(run, relay)
    await printResult(run, config, answer)
    return 0
  } catch (error) {
    if (run.controller.signal.aborted) throw run.controller.signal.reason
    throw error
  } finally {
    dispose()
    await cleanUp(run)
  }
}

/** A temporary directory, the emulator, and the config pointing at both. */
async function setUp(run: DemoRun): Promise<ResolvedConfig> {
  const out = run.term.out
  const dir = await mkdtemp(join(tmpdir(), 'airelays-demo-'))
  run.dir = dir
  const { createUpstreamEmulator } = await import('@airelays/upstream-emulator')
  const emulator = await createUpstreamEmulator({
    host: '127.0.0.1',
    port: 0,
    deviceInterval: '1',
    deviceAutoApproveAfterPolls: 1,
    gapMs: 60,
  })
  run.emulator = emulator
  const { config } = await loadConfig({
    flags: { dataDir: join(dir, 'data'), config: join(dir, 'config.toml') },
    env: {
      AIRELAYS_UPSTREAM_BASE_URL: emulator.backendUrl,
      AIRELAYS_ISSUER_BASE_URL: emulator.url,
      AIRELAYS_AUTH_STORAGE: 'file',
    },
    homeDir: dir,
    cwd: dir,
  })
  out.section('Setup')
  out.field('Temp dir', dir)
  out.field('Emulator issuer', emulator.url)
  out.field('Emulator backend', emulator.backendUrl)
  checkpoint(run)
  return config
}

/** A real device-code login against the emulator, stored like `airelays login` stores it. */
async function signIn(run: DemoRun, config: ResolvedConfig): Promise<void> {
  const { term } = run
  const out = term.out
  const { startDeviceLogin } = await import('@airelays/upstream-client')
  const login = await startDeviceLogin({
    issuerUrl: config.upstream.issuer_base_url,
    clientId: config.upstream.client_id,
    loginTimeoutSeconds: 120,
  })
  run.cancelLogin = () => login.cancel()
  out.section('Device Login')
  out.note(`1. Open: ${out.style.bold(login.verificationUrl)}`)
  out.note(`2. Enter this code: ${out.style.bold(login.userCode)}`)
  out.note(out.style.dim('(the emulator approves the code by itself after the first poll)'))
  const status = startWaitStatus(term.err, {
    label: 'Waiting for approval',
    expiresAt: login.expiresAt,
    live: process.stderr.isTTY === true,
  })
  let auth: Awaited<ReturnType<typeof login.waitForCompletion>>
  try {
    auth = await login.waitForCompletion({ signal: run.controller.signal })
  } catch (error) {
    checkpoint(run)
    throw error
  } finally {
    status.stop()
    run.cancelLogin = null
  }
  const store = authStoreFor(config)
  await store.set(DEFAULT_SLOT, auth)
  const state = await readLoginState(config, store)
  out.field(
    'Signed in',
    `${state.email ?? 'unknown'} (${state.plan_type ?? 'unknown plan'}), account ${state.account_id}`,
  )
  out.field('Stored in', storageText(state))
  checkpoint(run)
}

interface DemoRelay {
  baseURL: string
  token: string
}

/** A relay token and a relay on a free loopback port. */
async function startRelay(run: DemoRun, config: ResolvedConfig): Promise<DemoRelay> {
  const out = run.term.out
  const token = generateRelayToken()
  await writeRelayToken(config.security.bearer_token_file, token)
  const { serveRelay } = await import('@airelays/server')
  const relay = await serveRelay({ config, host: '127.0.0.1', port: 0 })
  run.relay = relay
  const baseURL = `${relay.url}/v1`
  out.section('Relay')
  out.field('Base URL', baseURL)
  out.field('Relay token', `created (fingerprint ${tokenFingerprint(token)})`)
  checkpoint(run)
  return { baseURL, token }
}

interface DemoAnswer {
  chunks: number
  text: string
}

/** One streamed chat completion through the official `openai` client, printed as it arrives. */
async function streamAnswer(run: DemoRun, { baseURL, token }: DemoRelay): Promise<DemoAnswer> {
  const out = run.term.out
  const { default: OpenAI } = await import('openai')
  const client = new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 60_000 })
  const { data: stream, response } = await client.chat.completions
    .create(
      {
        model: DEMO_MODEL,
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: `Reply with exactly: ${DEMO_ANSWER}` },
        ],
        stream: true,
        temperature: 0.7,
      },
      { signal: run.controller.signal },
    )
    .withResponse()
  out.section('Request')
  out.field('Client', 'openai (npm), chat.completions.create({ stream: true, temperature: 0.7 })')
  out.field(
    'Route',
    'client -> relay POST /v1/chat/completions -> emulator POST /backend-api/codex/responses',
  )
  out.field('Request id', response.headers.get('x-request-id'))
  out.field('Ignored params', response.headers.get('x-airelays-ignored-parameters') ?? 'none')

  out.section('Answer (streamed)')
  out.write('  ')
  let chunks = 0
  let text = ''
  for await (const chunk of stream) {
    chunks += 1
    const delta = chunk.choices[0]?.delta?.content
    if (delta) {
      text += delta
      out.write(delta)
    }
  }
  out.line()
  checkpoint(run)
  return { chunks, text }
}

/** Stops the relay (so its traffic log is flushed), then counts what reached the emulator and the log. */
async function printResult(run: DemoRun, config: ResolvedConfig, answer: DemoAnswer): Promise<void> {
  const out = run.term.out
  const upstreamCalls = (run.emulator?.requests ?? []).filter((request) => request.route === 'responses')
  await run.relay?.close()
  run.relay = null
  const logs = await countLogLines(config.paths.logs_dir)
  out.section('Result')
  out.field('Chunks', answer.chunks)
  out.field('Characters', answer.text.length)
  out.field(
    'Upstream calls',
    `${upstreamCalls.length} (POST /backend-api/codex/responses, model ${String((upstreamCalls[0]?.body as { model?: unknown } | null)?.model ?? DEMO_MODEL)})`,
  )
  out.field('Traffic log', `${logs.lines} lines in ${logs.files} file(s) under ${config.paths.logs_dir}`)
}

async function cleanUp(run: DemoRun): Promise<void> {
  const out = run.term.out
  await run.relay?.close({ force: true }).catch(() => {})
  await run.emulator?.close().catch(() => {})
  if (run.dir) {
    await rm(run.dir, { recursive: true, force: true }).catch(() => {})
    out.section('Cleanup')
    out.note(`Stopped the relay and the emulator; removed ${run.dir}.`)
    if (run.interrupted) out.note('Demo cancelled.')
  }
}

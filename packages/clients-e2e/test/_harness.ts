// Harness of the client end-to-end suite: the upstream emulator and a real relay on 127.0.0.1:0
// (signed in, with a relay token), a recording proxy that shows what a client program sent, and
// runners for the real Codex CLI (`codex exec`) and Claude Code (`claude -p`) with throwaway homes.
//
// Only 127.0.0.1 is used: the client programs get HTTP(S)_PROXY pointed at the recorder, which
// records and refuses any attempt to reach another host (CONNECT answered 403).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  createAuthStore,
  credentialStoreFor,
  generateRelayToken,
  writeRelayToken,
} from '@airelays/auth-store'
import { loadConfig, type ResolvedConfig } from '@airelays/config'
import { type RelayServer, type ServeRelayOptions, serveRelay } from '@airelays/server'
import {
  createUpstreamEmulator,
  type UpstreamEmulator,
  type UpstreamEmulatorOptions,
} from '@airelays/upstream-emulator'

const require = createRequire(import.meta.url)

// ---------------------------------------------------------------------------------------------
// Relay + emulator
// ---------------------------------------------------------------------------------------------

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Extra `AIRELAYS_*` variables for `loadConfig` (they win over the harness defaults). */
  env?: Record<string, string>
  /** Extra `serveRelay` options. */
  relay?: Partial<ServeRelayOptions>
  /** Upstream emulator options. */
  emulator?: UpstreamEmulatorOptions
  /** Put a {@link Recorder} in front of the relay; clients then talk to `recorder.url`. @default false */
  record?: boolean
}

/** The emulator, a signed-in relay in front of it and (optionally) a recorder in front of that. */
export interface Stack {
  emu: UpstreamEmulator
  relay: RelayServer
  config: ResolvedConfig
  dataDir: string
  /** The relay token (what clients send as their API key). */
  token: string
  /** Origin clients should use: the recorder's when `record` is on, else the relay's. */
  url: string
  /** `${url}/v1` */
  baseURL: string
  /** The recorder in front of the relay, when `record` was set. */
  recorder: Recorder | null
  /**
   * A recorder with no target, for client programs' HTTP(S)_PROXY: it records and refuses every
   * attempt to reach a host other than 127.0.0.1.
   */
  outside: Recorder
  close(): Promise<void>
}

/** Start the upstream emulator and a signed-in relay on 127.0.0.1:0 with a temp data dir. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emu = await createUpstreamEmulator(options.emulator)
  const dataDir = await mkdtemp(join(tmpdir(), 'airelays-clients-'))
  let relay: RelayServer | null = null
  try {
    const env: Record<string, string> = {
      AIRELAYS_DATA_DIR: dataDir,
      AIRELAYS_UPSTREAM_BASE_URL: emu.backendUrl,
      AIRELAYS_ISSUER_BASE_URL: emu.url,
      AIRELAYS_AUTH_STORAGE: 'file',
      AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.05,0.05,0.05',
      AIRELAYS_ENABLE_CLAUDE: 'false',
      ...options.env,
    }
    const { config, errors } = await loadConfig({ env, homeDir: dataDir, cwd: dataDir })
    if (errors.length > 0) throw new Error(`test config invalid: ${errors.map((e) => e.message).join('; ')}`)
    await credentialStoreFor(createAuthStore({ mode: 'file', dataDir })).save(emu.storedAuth())
    const token = generateRelayToken()
    await writeRelayToken(config.security.bearer_token_file, token)
    relay = await serveRelay({ config, host: '127.0.0.1', port: 0, ...options.relay })
    const recorder = options.record ? await startRecorder({ target: relay.url }) : null
    const outside = await startRecorder()
    const url = recorder?.url ?? relay.url
    const started = relay
    return {
      emu,
      relay,
      config,
      dataDir,
      token,
      url,
      baseURL: `${url}/v1`,
      recorder,
      outside,
      async close() {
        await recorder?.close()
        await outside.close()
        await started.close({ force: true }).catch(() => {})
        await emu.close().catch(() => {})
        await rm(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await relay?.close({ force: true }).catch(() => {})
    await emu.close().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Recorder: what a client program sends
// ---------------------------------------------------------------------------------------------

/** One request a client sent to the recorder. */
export interface RecordedClientRequest {
  /** HTTP method, or `CONNECT` for a proxy tunnel attempt to another host. */
  method: string
  /** Path without the query string (for CONNECT: `host:port`). */
  path: string
  query: Record<string, string>
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** Raw body text ('' when none). */
  bodyText: string
  /** Parsed JSON body, or null when the body is not JSON. */
  body: unknown
  /** True for an `Upgrade` request (e.g. a WebSocket handshake). */
  upgrade: boolean
  /** Status the client got back (absent for upgrades that were tunnelled). */
  status?: number
  /** Response headers the client got back (lower-case names). */
  responseHeaders?: Record<string, string>
  /** The first 256 KiB of the response body as text (SSE streams included). */
  responseText?: string
}

/** Answer of a recorder `respond` hook. */
export interface RecorderReply {
  status: number
  headers?: Record<string, string>
  body?: string
}

/** Options of {@link startRecorder}. */
export interface RecorderOptions {
  /** Forward everything to this origin (e.g. the relay's URL), streaming the answer back. */
  target?: string
  /**
   * Answer locally instead of forwarding. Return undefined to fall through to `target` (or a 404
   * when there is none). Upgrades are never passed to this hook.
   */
  respond?: (request: RecordedClientRequest) => RecorderReply | undefined
}

/** A recording HTTP server on 127.0.0.1:0 (also an HTTP proxy that refuses other hosts). */
export interface Recorder {
  url: string
  /** Every request in arrival order (a live array). */
  readonly requests: RecordedClientRequest[]
  close(): Promise<void>
}

const RESPONSE_TEXT_LIMIT = 256 * 1024

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function describe(req: IncomingMessage, bodyText: string, upgrade: boolean): RecordedClientRequest {
  const raw = req.url ?? '/'
  if (req.method === 'CONNECT') {
    return {
      method: 'CONNECT',
      path: raw,
      query: {},
      headers: flatHeaders(req),
      bodyText: '',
      body: null,
      upgrade,
    }
  }
  // An absolute-form target (a proxy request for another host) keeps its host in the path.
  const parsed = new URL(raw, 'http://recorder.invalid')
  const path = parsed.host === 'recorder.invalid' ? parsed.pathname : `${parsed.origin}${parsed.pathname}`
  let body: unknown = null
  if (bodyText !== '') {
    try {
      body = JSON.parse(bodyText)
    } catch {
      body = null
    }
  }
  return {
    method: req.method ?? 'GET',
    path,
    query: Object.fromEntries(parsed.searchParams),
    headers: flatHeaders(req),
    bodyText,
    body,
    upgrade,
  }
}

/** Start a recorder; with `target` it is a transparent forwarding proxy (SSE and upgrades included). */
export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const requests: RecordedClientRequest[] = []
  const target = options.target ? new URL(options.target) : null
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const record = describe(req, Buffer.concat(chunks).toString('utf8'), false)
      requests.push(record)
      const local = options.respond?.(record)
      const elsewhere = record.path.startsWith('http://') || record.path.startsWith('https://')
      if (local || !target || elsewhere) {
        const reply = local ?? { status: elsewhere ? 403 : 404, body: 'refused by the test recorder' }
        record.status = reply.status
        res.writeHead(reply.status, reply.headers ?? { 'content-type': 'text/plain' })
        res.end(reply.body ?? '')
        return
      }
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          record.status = answer.statusCode
          record.responseHeaders = flatHeaders(answer)
          record.responseText = ''
          answer.on('data', (chunk: Buffer) => {
            if ((record.responseText?.length ?? 0) < RESPONSE_TEXT_LIMIT)
              record.responseText += chunk.toString('utf8')
          })
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502)
        res.end()
      })
      res.on('close', () => upstream.destroy())
      upstream.end(Buffer.concat(chunks))
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // A proxy tunnel to another host: record it and refuse (the suite never leaves 127.0.0.1).
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const record = describe(req, '', false)
    record.status = 403
    requests.push(record)
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
  })
  // An upgrade (WebSocket handshake): record it, then tunnel the raw bytes to the target.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const record = describe(req, '', true)
    requests.push(record)
    if (!target) {
      record.status = 404
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`)
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
      if (head.length > 0) upstream.write(head)
      upstream.once('data', (first: Buffer) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(first.toString('latin1'))?.[1]
        if (status) record.status = Number(status)
      })
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('recorder has no TCP address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

// ---------------------------------------------------------------------------------------------
// Client programs
// ---------------------------------------------------------------------------------------------

/** How a client program ended. */
export interface ProgramResult {
  stdout: string
  stderr: string
  /** Exit code (null when it was killed by a signal). */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** True when the harness killed it at `timeoutMs`. */
  timedOut: boolean
}

const running = new Set<ChildProcess>()

/**
 * Run a program in its own process group with a bounded lifetime: at `timeoutMs` the whole group
 * gets SIGKILL (the CLIs may start helpers of their own).
 */
export function runProgram(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; stdin?: string },
): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    running.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.stdin?.on('error', () => {})
    child.stdin?.end(options.stdin ?? '')
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      running.delete(child)
      reject(error)
    })
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer)
      running.delete(child)
      killGroup(child) // helpers the program left behind in its group
      resolve({ stdout, stderr, exitCode, signal, timedOut })
    })
  })
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Kill every client program still running (for afterAll). */
export function killPrograms(): void {
  for (const child of running) killGroup(child)
}

/**
 * The environment of a client program: PATH and a few locale basics from this process, a fresh
 * HOME, and HTTP(S)_PROXY aimed at `proxyUrl` (a recorder) so that nothing reaches another host.
 */
function isolatedEnv(
  home: string,
  proxyUrl: string | undefined,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
  }
  if (proxyUrl) {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'])
      env[name] = proxyUrl
    env.NO_PROXY = '127.0.0.1,localhost'
    env.no_proxy = '127.0.0.1,localhost'
  }
  return { ...env, ...extra }
}

/** Temp dirs made for one client run, removed together by `cleanup`. */
function tempDirs(): { make(prefix: string): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = []
  return {
    async make(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix))
      made.push(dir)
      return dir
    },
    async cleanup() {
      await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })))
    },
  }
}

/** Path of the `codex` launcher (bin/codex.js of the pinned @openai/codex, which runs its native binary). */
export function codexLauncher(): string {
  return join(dirname(require.resolve('@openai/codex/package.json')), 'bin/codex.js')
}

/** Path of Claude Code's native binary (from the platform package; no postinstall needed). */
export async function claudeBinary(): Promise<string> {
  const wrapper = await realpath(dirname(require.resolve('@anthropic-ai/claude-code/package.json')))
  const fromWrapper = createRequire(join(wrapper, 'package.json'))
  const platformPackage = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`
  const binary = process.platform === 'win32' ? 'claude.exe' : 'claude'
  return join(dirname(fromWrapper.resolve(`${platformPackage}/package.json`)), binary)
}

/** What {@link runCodexExec} and {@link runClaudePrint} share. */
export interface ClientRunOptions {
  /** Proxy for every non-loopback connection (a recorder URL). */
  proxyUrl?: string
  /** Extra environment variables. */
  env?: Record<string, string>
  /** @default 90000 */
  timeoutMs?: number
}

/** Options of {@link runCodexExec}. */
export interface CodexExecOptions extends ClientRunOptions {
  /** Origin of the relay (or of a recorder in front of it), e.g. http://127.0.0.1:PORT */
  relayUrl: string
  /** The relay token (given to Codex through the provider's `env_key`). */
  token: string
  prompt: string
  /** @default 'gpt-5.5' */
  model?: string
  /** Extra options before the prompt (e.g. `['-c', 'model_reasoning_effort="high"']`); for `resume` use `subcommand`. */
  extraArgs?: string[]
  /** Words between `exec` and the options, e.g. `['resume', '--last']`. @default [] */
  subcommand?: string[]
  /** Working directory; a fresh temp dir when omitted. */
  cwd?: string
  /** Reuse a CODEX_HOME (e.g. for `exec resume`); a fresh one is made when omitted. */
  codexHome?: string
  /**
   * `custom`: a `[model_providers.airelays]` table (`wire_api = "responses"`, `env_key`).
   * `builtin`: the built-in `openai` provider with `openai_base_url` at the relay, logged in with
   * `codex login --with-api-key` (the relay token).
   * @default 'custom'
   */
  provider?: 'custom' | 'builtin'
  /** Extra lines appended to the custom provider table (e.g. `supports_websockets = true`). */
  providerToml?: string
  /** Extra top-level config.toml lines (before the tables). */
  configToml?: string
}

/** Result of {@link runCodexExec}. */
export interface CodexExecResult extends ProgramResult {
  /** The CODEX_HOME used (kept so `exec resume` can reuse it; remove it with `cleanup`). */
  codexHome: string
  cwd: string
  /** Remove the temp dirs the harness made. */
  cleanup(): Promise<void>
}

/** The config.toml of a CODEX_HOME that sends Codex to the relay. */
export function codexConfigToml(options: {
  relayUrl: string
  model: string
  provider?: 'custom' | 'builtin'
  providerToml?: string
  configToml?: string
}): string {
  const common = [
    `model = ${JSON.stringify(options.model)}`,
    'check_for_update_on_startup = false',
    ...(options.configToml ? [options.configToml] : []),
  ]
  const analytics = ['', '[analytics]', 'enabled = false', '']
  if (options.provider === 'builtin') {
    // The built-in `openai` provider with its base URL moved to the relay (API-key login).
    return [...common, `openai_base_url = ${JSON.stringify(`${options.relayUrl}/v1`)}`, ...analytics].join(
      '\n',
    )
  }
  return [
    ...common,
    'model_provider = "airelays"',
    '',
    '[model_providers.airelays]',
    'name = "AIRelays"',
    `base_url = ${JSON.stringify(`${options.relayUrl}/v1`)}`,
    'env_key = "AIRELAYS_TOKEN"',
    'wire_api = "responses"',
    ...(options.providerToml ? [options.providerToml] : []),
    ...analytics,
  ].join('\n')
}

/**
 * Run `codex exec` (the pinned Codex CLI) against the relay with a temp CODEX_HOME whose
 * config.toml names the relay as a custom `responses` provider. Bounded by `timeoutMs`.
 */
export async function runCodexExec(options: CodexExecOptions): Promise<CodexExecResult> {
  const dirs = tempDirs()
  const codexHome = options.codexHome ?? (await dirs.make('airelays-codex-home-'))
  const cwd = options.cwd ?? (await dirs.make('airelays-codex-cwd-'))
  const model = options.model ?? 'gpt-5.5'
  await writeFile(
    join(codexHome, 'config.toml'),
    codexConfigToml({
      relayUrl: options.relayUrl,
      model,
      provider: options.provider,
      providerToml: options.providerToml,
      configToml: options.configToml,
    }),
  )
  const args = [
    codexLauncher(),
    'exec',
    ...(options.subcommand ?? []),
    '--skip-git-repo-check',
    '--dangerously-bypass-approvals-and-sandbox',
    '-m',
    model,
    ...(options.extraArgs ?? []),
    options.prompt,
  ]
  const env = isolatedEnv(codexHome, options.proxyUrl, {
    CODEX_HOME: codexHome,
    AIRELAYS_TOKEN: options.token,
    ...options.env,
  })
  if (options.provider === 'builtin') {
    const login = await runProgram(process.execPath, [codexLauncher(), 'login', '--with-api-key'], {
      cwd,
      env,
      timeoutMs: 30_000,
      stdin: `${options.token}\n`,
    })
    if (login.exitCode !== 0) throw new Error(`codex login --with-api-key failed: ${login.stderr}`)
  }
  const timeoutMs = options.timeoutMs ?? 90_000
  const result = await runProgram(process.execPath, args, { cwd, env, timeoutMs })
  return { ...result, codexHome, cwd, cleanup: dirs.cleanup }
}

/** Options of {@link runClaudePrint}. */
export interface ClaudePrintOptions extends ClientRunOptions {
  /** Origin clients use for the Anthropic API (ANTHROPIC_BASE_URL). */
  relayUrl: string
  /** Sent as ANTHROPIC_AUTH_TOKEN (an `Authorization: Bearer` header). */
  token: string
  prompt: string
  /** Working directory; a fresh temp dir when omitted. */
  cwd?: string
  /** Extra arguments after `-p` (e.g. `['--model', 'claude-sonnet-4-5', '--output-format', 'json']`). */
  extraArgs?: string[]
}

/** Result of {@link runClaudePrint}. */
export interface ClaudePrintResult extends ProgramResult {
  home: string
  cwd: string
  cleanup(): Promise<void>
}

/**
 * Run `claude -p PROMPT` (the pinned Claude Code) against `relayUrl` with a temp HOME, telemetry,
 * auto-update and non-essential traffic off. Bounded by `timeoutMs`.
 */
export async function runClaudePrint(options: ClaudePrintOptions): Promise<ClaudePrintResult> {
  const dirs = tempDirs()
  const home = await dirs.make('airelays-claude-home-')
  const cwd = options.cwd ?? (await dirs.make('airelays-claude-cwd-'))
  const env = isolatedEnv(home, options.proxyUrl, {
    ANTHROPIC_BASE_URL: options.relayUrl,
    ANTHROPIC_AUTH_TOKEN: options.token,
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    ...options.env,
  })
  const timeoutMs = options.timeoutMs ?? 90_000
  const args = ['-p', ...(options.extraArgs ?? []), options.prompt]
  const result = await runProgram(await claudeBinary(), args, { cwd, env, timeoutMs })
  return { ...result, home, cwd, cleanup: dirs.cleanup }
}

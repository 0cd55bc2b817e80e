// Shared harness of the B11 suite: a real relay (serveRelay on 127.0.0.1:0) in front of the real
// upstream emulator, with a temp data dir, a recording logger and helpers to read the stored logs.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

/** A clock the test moves by hand (epoch milliseconds). */
export interface FakeClock {
  now: () => number
  advance(ms: number): void
  set(ms: number): void
}

export function fakeClock(start: number = Date.now()): FakeClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      t += ms
    },
    set(ms) {
      t = ms
    },
  }
}

/** A RelayLogger that keeps every message (and never prints). */
export interface RecordingLogger {
  warn(message: string): void
  error(message: string): void
  readonly warnings: string[]
  readonly errors: string[]
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = []
  const errors: string[] = []
  return {
    warnings,
    errors,
    warn: (message) => warnings.push(message),
    error: (message) => errors.push(message),
  }
}

export interface RelayHarnessOptions {
  /** Extra `AIRELAYS_*` variables (win over the harness defaults). */
  env?: Record<string, string>
  /** Extra serveRelay options (clock, upstream, keepAliveIntervalMs …). */
  relay?: Partial<ServeRelayOptions>
  /** Options of the emulator the harness starts (ignored when `emu` is given). */
  emulator?: UpstreamEmulatorOptions
  /** Use this emulator instead of starting one (it is not closed by the harness). */
  emu?: UpstreamEmulator
  /** Save an upstream login in auth.json. @default true */
  login?: boolean
  /** Write a relay token file; a string writes that token. @default true */
  token?: boolean | string
  /** Base URL of the Codex backend instead of the emulator's. */
  upstreamBaseUrl?: string
}

export interface RelayHarness {
  emu: UpstreamEmulator
  relay: RelayServer
  config: ResolvedConfig
  dataDir: string
  logger: RecordingLogger
  /** The relay token ('' when none). */
  token: string
  /** Base URL of the relay, e.g. http://127.0.0.1:PORT */
  url: string
  /** fetch against the relay, with the bearer token unless `auth: false` or an authorization header is set. */
  fetch(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>
  /** Every line of every stored traffic log file, file by file in path order. */
  logLines(): Promise<string[]>
  /** Every stored log record, parsed (throws when a line is not JSON). */
  logRecords(): Promise<Record<string, unknown>[]>
  /** Every stored log file with its raw text. */
  logFiles(): Promise<{ path: string; text: string }[]>
  /** GET /v1/relay/status with the token. */
  status(): Promise<RelayStatusBody>
  close(): Promise<void>
}

export interface RelayStatusBody {
  requests_total: number
  security: {
    tracked_clients: number
    blocked_clients: number
    active_clients: number
    client: {
      ip: string
      allowance_remaining: number
      active_requests: number
      failed_auth_attempts: number
      blocked_for_seconds: number
    } | null
  }
  storage: { file_count: number; total_bytes: number; conversation_count: number }
  relay: Record<string, unknown>
  [key: string]: unknown
}

const openHarnesses = new Set<RelayHarness>()

export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  let entries: string[]
  try {
    entries = (await readdir(dir)).sort()
  } catch {
    return out
  }
  for (const entry of entries) {
    const path = join(dir, entry)
    const info = await stat(path).catch(() => null)
    if (!info) continue
    if (info.isDirectory()) out.push(...(await walkFiles(path)))
    else out.push(path)
  }
  return out
}

/** Resolve the harness config (no relay started). */
export async function relayConfig(
  dataDir: string,
  emu: { backendUrl: string; url: string },
  env: Record<string, string> = {},
  upstreamBaseUrl?: string,
): Promise<ResolvedConfig> {
  const fullEnv: Record<string, string> = {
    AIRELAYS_DATA_DIR: dataDir,
    AIRELAYS_UPSTREAM_BASE_URL: upstreamBaseUrl ?? emu.backendUrl,
    AIRELAYS_ISSUER_BASE_URL: emu.url,
    AIRELAYS_AUTH_STORAGE: 'file',
    AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.05,0.05,0.05',
    AIRELAYS_ENABLE_CLAUDE: 'false',
    ...env,
  }
  const { config, errors } = await loadConfig({ env: fullEnv, homeDir: dataDir, cwd: dataDir })
  if (errors.length > 0) throw new Error(`test config invalid: ${errors.map((e) => e.message).join('; ')}`)
  return config
}

export async function startRelay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const ownsEmu = !options.emu
  const emu = options.emu ?? (await createUpstreamEmulator(options.emulator))
  const dataDir = await mkdtemp(join(tmpdir(), 'airelays-b11-'))
  const logger = recordingLogger()
  try {
    const config = await relayConfig(dataDir, emu, options.env, options.upstreamBaseUrl)
    if (options.login !== false) {
      await credentialStoreFor(createAuthStore({ mode: 'file', dataDir })).save(emu.storedAuth())
    }
    let token = ''
    if (options.token !== false) {
      token = typeof options.token === 'string' ? options.token : generateRelayToken()
      await writeRelayToken(config.security.bearer_token_file, token)
    }
    const relay = await serveRelay({ config, host: '127.0.0.1', port: 0, logger, ...options.relay })
    const logFiles = async (): Promise<{ path: string; text: string }[]> => {
      const files = (await walkFiles(config.paths.logs_dir)).filter((path) => path.endsWith('.log'))
      return Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'utf8') })))
    }
    const logLines = async (): Promise<string[]> =>
      (await logFiles()).flatMap((file) => file.text.split('\n').filter((line) => line !== ''))
    const harness: RelayHarness = {
      emu,
      relay,
      config,
      dataDir,
      logger,
      token,
      url: relay.url,
      fetch(path, init = {}) {
        const headers = new Headers(init.headers)
        if (init.auth !== false && token && !headers.has('authorization'))
          headers.set('authorization', `Bearer ${token}`)
        const { auth: _auth, ...rest } = init
        return fetch(`${relay.url}${path}`, { ...rest, headers })
      },
      logFiles,
      logLines,
      logRecords: async () => (await logLines()).map((line) => JSON.parse(line) as Record<string, unknown>),
      async status() {
        const res = await harness.fetch('/v1/relay/status')
        if (res.status !== 200) throw new Error(`relay/status answered ${res.status}: ${await res.text()}`)
        return (await res.json()) as RelayStatusBody
      },
      async close() {
        openHarnesses.delete(harness)
        await relay.close({ force: true }).catch(() => {})
        if (ownsEmu) await emu.close().catch(() => {})
        await rm(dataDir, { recursive: true, force: true })
      },
    }
    openHarnesses.add(harness)
    return harness
  } catch (error) {
    if (ownsEmu) await emu.close().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
}

/** Close every harness still open (for afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all([...openHarnesses].map((h) => h.close()))
}

/** Poll `check` until it returns a truthy value (bounded by `timeoutMs`). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  stepMs = 20,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`)
    await sleep(stepMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The OpenAI error envelope: asserts the four keys and returns the error object. */
export interface ErrorBody {
  message: string
  type: string
  param: string | null
  code: string | null
  [extra: string]: unknown
}

export function isEnvelope(body: unknown): body is { error: ErrorBody } {
  if (typeof body !== 'object' || body === null) return false
  const error = (body as { error?: unknown }).error
  if (typeof error !== 'object' || error === null) return false
  const e = error as Record<string, unknown>
  return (
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.type === 'string' &&
    (e.param === null || typeof e.param === 'string') &&
    (e.code === null || typeof e.code === 'string') &&
    'param' in e &&
    'code' in e
  )
}

/** A chat-completions body with a deterministic answer. */
export function chatBody(text = 'Reply with exactly: pong', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: text }], ...extra })
}

export const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' }

/** One SSE frame as received, with its arrival time. */
export interface TimedFrame {
  text: string
  at: number
}

/**
 * Read an SSE body frame by frame (split on blank lines) with arrival times. `onFrame` may return
 * `false` to stop reading (the reader is cancelled).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onFrame?: (frame: TimedFrame, index: number) => boolean | undefined,
): Promise<{ frames: TimedFrame[]; error: unknown }> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const frames: TimedFrame[] = []
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end < 0) break
        const text = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const frame = { text, at: Date.now() }
        frames.push(frame)
        if (onFrame?.(frame, frames.length - 1) === false) {
          await reader.cancel().catch(() => {})
          return { frames, error: null }
        }
      }
    }
    if (buffer.trim() !== '') frames.push({ text: buffer, at: Date.now() })
    return { frames, error: null }
  } catch (error) {
    return { frames, error }
  }
}

/** The JSON payload of a `data:` frame (null for comments, `[DONE]` or non-JSON). */
export function frameData(frame: string): unknown {
  const data = frame
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n')
  if (data === '' || data === '[DONE]') return null
  try {
    return JSON.parse(data)
  } catch {
    return null
  }
}

/** Requests the emulator recorded for one route. */
export function upstreamCalls(emu: UpstreamEmulator, route = 'responses'): number {
  return emu.requests.filter((r) => (r as { route?: string }).route === route).length
}

// A real relay (the caller's serveRelay on 127.0.0.1:0) in front of the real upstream emulator,
// with a temp data dir, a saved upstream login, a relay token file and a recording logger.
// `serve` is injected so this package never imports @airelays/server (whose tests use it).
import { readFile } from 'node:fs/promises'
import {
  createAuthStore,
  credentialStoreFor,
  generateRelayToken,
  writeRelayToken,
} from '@airelays/auth-store'
import { loadConfig, type ResolvedConfig } from '@airelays/config'
import {
  createUpstreamEmulator,
  type UpstreamEmulator,
  type UpstreamEmulatorOptions,
} from '@airelays/upstream-emulator'
import { type RecordingLogger, recordingLogger } from './fakes'
import { makeTempDir, walkFiles } from './fs'

/** What the harness needs of a started relay (serveRelay's RelayServer fits). */
export interface ServedRelay {
  url: string
  close(options?: { force?: boolean }): Promise<unknown>
}

/** The options the harness always passes to `serve`; the caller's `relay` options are spread over them. */
export interface BaseServeOptions {
  config: ResolvedConfig
  host: string
  port: number
  logger: RecordingLogger
}

export interface StartRelayOptions<O, R extends ServedRelay> {
  /** How to start the relay, e.g. `serveRelay` of @airelays/server. */
  serve: (options: O) => Promise<R>
  /** Extra `AIRELAYS_*` variables (win over the harness defaults). */
  env?: Record<string, string>
  /** Extra serve options (clock, upstream, keepAliveIntervalMs, logger …). */
  relay?: Partial<O>
  /** Options of the emulator the harness starts (ignored when `emu` is given). */
  emulator?: UpstreamEmulatorOptions
  /** Use this emulator instead of starting one (the harness does not close it). */
  emu?: UpstreamEmulator
  /** Save an upstream login in auth.json. @default true */
  login?: boolean
  /** Write a relay token file; a string writes that token. @default true */
  token?: boolean | string
  /** Base URL of the Codex backend instead of the emulator's. */
  upstreamBaseUrl?: string
  /** Prefix of the temp data dir. @default 'airelays-relay-' */
  tempPrefix?: string
}

export interface RelayHarness<R extends ServedRelay = ServedRelay> {
  emu: UpstreamEmulator
  relay: R
  config: ResolvedConfig
  dataDir: string
  logger: RecordingLogger
  /** The relay token ('' when none). */
  token: string
  /** Base URL of the relay, e.g. http://127.0.0.1:PORT */
  url: string
  /** fetch against the relay, with the bearer token unless `auth: false` or an authorization header is set. */
  fetch(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>
  /**
   * Every complete line of every stored traffic log file, file by file in path order. A line the
   * relay is still appending (no newline yet) is not a record yet and is left out.
   */
  logLines(): Promise<string[]>
  /** Every stored log record, parsed (throws when a line is not JSON). */
  logRecords(): Promise<Record<string, unknown>[]>
  /** Every stored log file with its raw text. */
  logFiles(): Promise<{ path: string; text: string }[]>
  close(): Promise<void>
}

const openHarnesses = new Set<RelayHarness<ServedRelay>>()

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

function harnessOf<R extends ServedRelay>(
  parts: Pick<RelayHarness<R>, 'emu' | 'relay' | 'config' | 'dataDir' | 'logger' | 'token'>,
  release: () => Promise<void>,
): RelayHarness<R> {
  const { relay, config, token } = parts
  const logFiles = async (): Promise<{ path: string; text: string }[]> => {
    const files = (await walkFiles(config.paths.logs_dir)).filter((path) => path.endsWith('.log'))
    return Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'utf8') })))
  }
  const logLines = async (): Promise<string[]> =>
    (await logFiles()).flatMap((file) =>
      file.text
        .split('\n')
        .slice(0, -1)
        .filter((line) => line !== ''),
    )
  const harness: RelayHarness<R> = {
    ...parts,
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
    async close() {
      openHarnesses.delete(harness)
      await relay.close({ force: true }).catch(() => {})
      await release()
    },
  }
  return harness
}

/** Start a relay in front of the emulator; close it with `harness.close()` or {@link closeAll}. */
export async function startRelay<O, R extends ServedRelay>(
  options: StartRelayOptions<O, R>,
): Promise<RelayHarness<R>> {
  const ownsEmu = !options.emu
  const emu = options.emu ?? (await createUpstreamEmulator(options.emulator))
  const temp = await makeTempDir(options.tempPrefix ?? 'airelays-relay-')
  const dataDir = temp.dir
  const release = async (): Promise<void> => {
    if (ownsEmu) await emu.close().catch(() => {})
    await temp.cleanup()
  }
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
    const base: BaseServeOptions = { config, host: '127.0.0.1', port: 0, logger }
    const relay = await options.serve({ ...base, ...options.relay } as O)
    const harness = harnessOf<R>({ emu, relay, config, dataDir, logger, token }, release)
    openHarnesses.add(harness)
    return harness
  } catch (error) {
    await release()
    throw error
  }
}

/** Close every harness still open (for afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all([...openHarnesses].map((h) => h.close()))
}

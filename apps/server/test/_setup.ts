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
import {
  createUpstreamEmulator,
  type UpstreamEmulator,
  type UpstreamEmulatorOptions,
} from '@airelays/upstream-emulator'
import OpenAI from 'openai'
import { type RelayServer, type ServeRelayOptions, serveRelay } from '../src/index'

/** Options of {@link startRelay}. */
export interface RelayHarnessOptions {
  /** Extra `AIRELAYS_*` variables for `loadConfig` (they win over the harness defaults). */
  env?: Record<string, string>
  /** Extra `serveRelay` options. */
  relay?: Partial<ServeRelayOptions>
  /** Upstream emulator options. */
  emulator?: UpstreamEmulatorOptions
  /** Save an upstream login (emu.storedAuth()) in the data dir's auth.json. @default true */
  login?: boolean
  /** Write a relay token file. @default true */
  token?: boolean
}

/** A relay on 127.0.0.1:0 in front of the upstream emulator, with a temp data dir. */
export interface RelayHarness {
  emu: UpstreamEmulator
  relay: RelayServer
  config: ResolvedConfig
  dataDir: string
  /** The relay token ('' when none was written). */
  token: string
  /** `${relay.url}/v1` */
  baseURL: string
  /** The official openai client pointed at the relay (no SDK retries). */
  openai(options?: { apiKey?: string; baseURL?: string }): OpenAI
  /** fetch against the relay with the bearer token (unless `headers.authorization` is given). */
  fetch(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>
  /** Every line of every stored traffic log file. */
  logLines(): Promise<string[]>
  /** Every stored log record, parsed. */
  logRecords(): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

export async function startRelay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const emu = await createUpstreamEmulator(options.emulator)
  const dataDir = await mkdtemp(join(tmpdir(), 'airelays-server-'))
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
    if (options.login !== false) {
      const store = createAuthStore({ mode: 'file', dataDir })
      await credentialStoreFor(store).save(emu.storedAuth())
    }
    let token = ''
    if (options.token !== false) {
      token = generateRelayToken()
      await writeRelayToken(config.security.bearer_token_file, token)
    }
    const relay = await serveRelay({ config, host: '127.0.0.1', port: 0, ...options.relay })
    const baseURL = `${relay.url}/v1`
    const logsDir = config.paths.logs_dir
    const logLines = async (): Promise<string[]> => {
      const lines: string[] = []
      const walk = async (dir: string): Promise<void> => {
        let entries: string[]
        try {
          entries = await readdir(dir)
        } catch {
          return
        }
        for (const entry of entries) {
          const path = join(dir, entry)
          if ((await stat(path)).isDirectory()) await walk(path)
          else if (entry.endsWith('.log')) {
            for (const line of (await readFile(path, 'utf8')).split('\n')) if (line !== '') lines.push(line)
          }
        }
      }
      await walk(logsDir)
      return lines
    }
    return {
      emu,
      relay,
      config,
      dataDir,
      token,
      baseURL,
      openai: (opts = {}) =>
        new OpenAI({
          baseURL: opts.baseURL ?? baseURL,
          apiKey: opts.apiKey ?? (token || 'placeholder'),
          maxRetries: 0,
        }),
      fetch: (path, init = {}) => {
        const headers = new Headers(init.headers)
        if (init.auth !== false && token && !headers.has('authorization'))
          headers.set('authorization', `Bearer ${token}`)
        return fetch(`${relay.url}${path}`, { ...init, headers })
      },
      logLines,
      logRecords: async () => (await logLines()).map((line) => JSON.parse(line) as Record<string, unknown>),
      close: async () => {
        await relay.close({ force: true }).catch(() => {})
        await emu.close().catch(() => {})
        await rm(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await emu.close().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
}

/** Poll `check` until it returns a truthy value (bounded: `timeoutMs`). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
}

/** Read an SSE response body to the end and split it into frames. */
export async function readFrames(response: Response): Promise<string[]> {
  const text = await response.text()
  return text.split('\n\n').filter((frame) => frame.trim() !== '')
}

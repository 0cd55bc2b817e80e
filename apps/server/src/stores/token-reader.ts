import { statSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { readRelayToken } from '@airelays/auth-store'

/** Where the relay token came from: `memory` (an option), `env` (AIRELAYS_BEARER_TOKEN), `file`, or nowhere. */
export type RelayTokenSource = 'memory' | 'env' | 'file' | null

/** The current relay token and where it came from. */
export interface RelayTokenState {
  token: string | null
  source: RelayTokenSource
}

/** Options of {@link createTokenReader}. */
export interface TokenReaderOptions {
  /** A token given inline; it wins over the file. */
  inline: string | null
  /** Where the inline token came from. */
  inlineSource: 'memory' | 'env'
  /** The relay token file (`bearer_token_file`), or `null`. */
  file: string | null
  /** Monotonic clock in ms, used to rate-limit `stat` calls. @default performance.now */
  now?: () => number
  /** Re-check the file at most this often (ms). */
  checkIntervalMs?: number
  /** Called with every token value read, so it can be scrubbed from logs. */
  onToken?: (token: string) => void
  /** Called when the token file exists but cannot be read (once per change of the file). */
  onError?: (error: unknown) => void
}

/** Reads the relay token per request, cheaply: the file is re-read only when its mtime/size changed. */
export interface TokenReader {
  current(): Promise<RelayTokenState>
}

export function createTokenReader(opts: TokenReaderOptions): TokenReader {
  const inline = opts.inline?.trim() || null
  if (inline) {
    opts.onToken?.(inline)
    const state: RelayTokenState = { token: inline, source: opts.inlineSource }
    return { current: () => Promise.resolve(state) }
  }
  const file = opts.file
  if (!file) {
    const none: RelayTokenState = { token: null, source: null }
    return { current: () => Promise.resolve(none) }
  }
  const interval = opts.checkIntervalMs ?? 1000
  const now = opts.now ?? ((): number => performance.now())
  let state: RelayTokenState = { token: null, source: null }
  let signature = ''
  let checkedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<RelayTokenState> | null = null

  async function refresh(): Promise<RelayTokenState> {
    try {
      // Synchronous on purpose (see credentials.ts): a few microseconds instead of a thread-pool
      // round trip on the request path. Only a changed file is read, asynchronously.
      const info = statSync(file as string)
      const next = `${info.mtimeMs}:${info.size}:${info.ino}`
      if (next !== signature) {
        const { token } = await readRelayToken({ file })
        signature = next
        state = token ? { token, source: 'file' } : { token: null, source: null }
        if (token) opts.onToken?.(token)
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && signature !== 'error') opts.onError?.(error)
      signature = code === 'ENOENT' || code === 'ENOTDIR' ? '' : 'error'
      state = { token: null, source: null }
    }
    checkedAt = now()
    return state
  }

  return {
    current() {
      if (now() - checkedAt < interval) return Promise.resolve(state)
      pending ??= refresh().finally(() => {
        pending = null
      })
      return pending
    },
  }
}

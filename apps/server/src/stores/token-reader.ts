import { statSync } from 'node:fs'
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
  /** Called with every token value read, so it can be scrubbed from logs. */
  onToken?: (token: string) => void
  /** Called when the token file exists but cannot be read (once per change of the file). */
  onError?: (error: unknown) => void
}

/** Reads the relay token per request, cheaply: the file is re-read only when it changed. */
export interface TokenReader {
  /**
   * The token as the file holds it now. Every call looks at the file (`stat`, synchronously, a few
   * microseconds) before answering, so once `airelays token rotate` has renamed the new file into
   * place the old token is refused and the new one accepted by the very next request, with no
   * 401 in between (issue 26, item 9). Only a changed file is read; concurrent readers of the same
   * change share one read.
   */
  current(): Promise<RelayTokenState>
}

const NONE: RelayTokenState = { token: null, source: null }

export function createTokenReader(opts: TokenReaderOptions): TokenReader {
  const inline = opts.inline?.trim() || null
  if (inline) {
    opts.onToken?.(inline)
    const state: RelayTokenState = { token: inline, source: opts.inlineSource }
    return { current: () => Promise.resolve(state) }
  }
  const file = opts.file
  if (!file) return { current: () => Promise.resolve(NONE) }
  let state: RelayTokenState = NONE
  // The file version `state` belongs to: `mtime:size:inode` (a rename changes the inode), '' when
  // absent, 'error' when unreadable.
  let signature = ''
  let reading: { signature: string; done: Promise<RelayTokenState> } | null = null

  const failed = (error: unknown): RelayTokenState => {
    const code = (error as NodeJS.ErrnoException).code
    const absent = code === 'ENOENT' || code === 'ENOTDIR'
    if (!absent && signature !== 'error') opts.onError?.(error)
    signature = absent ? '' : 'error'
    state = NONE
    reading = null
    return state
  }

  const read = (next: string): Promise<RelayTokenState> => {
    const done = readRelayToken({ file }).then(
      ({ token }) => {
        // A later change started its own read: that one owns the state.
        if (reading?.signature !== next) return token ? { token, source: 'file' as const } : NONE
        signature = next
        state = token ? { token, source: 'file' } : NONE
        reading = null
        if (token) opts.onToken?.(token)
        return state
      },
      (error: unknown) => (reading?.signature === next ? failed(error) : NONE),
    )
    reading = { signature: next, done }
    return done
  }

  return {
    current() {
      let next: string
      try {
        // Synchronous on purpose: the decision is taken on the file as it is when the request is
        // checked, never on a look that started before a rotation finished.
        const info = statSync(file)
        next = `${info.mtimeMs}:${info.size}:${info.ino}`
      } catch (error) {
        return Promise.resolve(failed(error))
      }
      if (next === signature && reading === null) return Promise.resolve(state)
      if (reading?.signature === next) return reading.done
      return read(next)
    },
  }
}

// The lifecycle of one browser login: its result promise, the login timeout, the one-time settlement
// and the shutdown of everything it opened (callback servers, dispatcher, a running code exchange).
import { UpstreamError } from '../../errors'
import type { StoredAuth } from '../../types'

/** How a browser login ends. */
export type BrowserOutcome = { auth: StoredAuth } | { error: UpstreamError }

export interface BrowserSessionInit {
  /** How long to wait for the browser, in seconds. */
  timeoutSeconds: number
  /** Close what the login opened (callback servers, its own dispatcher). */
  release: () => Promise<void>
}

/** Settles once; closes the login's resources before the result settles. */
export class BrowserLoginSession {
  /** Resolves with the credentials or rejects with an `UpstreamError`. */
  readonly result: Promise<StoredAuth>
  /** Aborted at shutdown, cancelling a code exchange still running. */
  readonly exchangeSignal: AbortSignal
  /** The outcome is decided. */
  settled = false
  /** A callback is being answered (code exchange or failure page): later callbacks get 409. */
  callbackInFlight = false
  private readonly init: BrowserSessionInit
  private readonly exchangeAbort = new AbortController()
  private readonly timer: NodeJS.Timeout
  private closing: Promise<void> | null = null
  private resolveResult!: (auth: StoredAuth) => void
  private rejectResult!: (error: unknown) => void

  constructor(init: BrowserSessionInit) {
    this.init = init
    this.exchangeSignal = this.exchangeAbort.signal
    this.result = new Promise<StoredAuth>((resolve, reject) => {
      this.resolveResult = resolve
      this.rejectResult = reject
    })
    // Callers that never await must not see an unhandled rejection.
    this.result.catch(() => {})
    this.timer = setTimeout(
      () => void this.finish({ error: timeoutError(init.timeoutSeconds) }),
      init.timeoutSeconds * 1000,
    )
  }

  /** Stop the timer, abort a running exchange and release the resources (once). */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.timer)
      this.exchangeAbort.abort()
      await this.init.release()
    })()
    return this.closing
  }

  /** Decide the outcome (the first call wins), shut down, then settle the result. */
  async finish(outcome: BrowserOutcome): Promise<void> {
    if (this.settled) return
    this.settled = true
    await this.shutdown()
    if ('auth' in outcome) this.resolveResult(outcome.auth)
    else this.rejectResult(outcome.error)
  }
}

function timeoutError(timeoutSeconds: number): UpstreamError {
  const minutes = Math.max(1, Math.floor(timeoutSeconds / 60))
  return new UpstreamError({
    code: 'login_timeout',
    message: `Browser login did not complete within ${minutes} minute(s). Run \`airelays login\` again, or use \`airelays login --device\`.`,
    status: 408,
  })
}

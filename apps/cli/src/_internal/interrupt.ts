import { CliError } from '../errors'

/** The signals a long-running command reacts to. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM'

/** Exit code after a signal: 130 for Ctrl-C (SIGINT), 143 for SIGTERM. */
export function signalExitCode(signal: InterruptSignal): number {
  return signal === 'SIGINT' ? 130 : 143
}

/**
 * Calls `handler` on SIGINT or SIGTERM instead of letting Node exit at once, so a command can
 * cancel its work and clean up. Returns a function that removes the listeners.
 */
export function onInterrupt(handler: (signal: InterruptSignal) => void): () => void {
  const onSigint = (): void => handler('SIGINT')
  const onSigterm = (): void => handler('SIGTERM')
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  return () => {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
  }
}

/**
 * Catches SIGINT/SIGTERM for the whole life of a cancellable operation, from before it starts:
 * a signal that arrives before `onCancel()` is registered cancels as soon as it is.
 */
export class InterruptScope {
  /** The first signal received, or null. */
  signal: InterruptSignal | null = null
  #cancel: (() => Promise<void>) | null = null
  readonly #dispose: () => void

  constructor() {
    this.#dispose = onInterrupt((signal) => {
      if (this.signal) return
      this.signal = signal
      void this.#cancel?.().catch(() => {})
    })
  }

  /** What cancelling means now (e.g. closing the login's callback server). */
  onCancel(cancel: () => Promise<void>): void {
    this.#cancel = cancel
    if (this.signal) void cancel().catch(() => {})
  }

  /**
   * Awaits `work`. When it fails after a signal, the cancel function is awaited (so ports and
   * sockets are released) and a `cancelled` error with exit code 130 (SIGINT) or 143 (SIGTERM)
   * is thrown instead; `message` is its text.
   */
  async guard<T>(work: Promise<T>, message: string): Promise<T> {
    try {
      return await work
    } catch (error) {
      if (!this.signal) throw error
      await this.#cancel?.().catch(() => {})
      throw new CliError(message, { code: 'cancelled', exitCode: signalExitCode(this.signal) })
    }
  }

  /** Throws the `cancelled` error at once when a signal already arrived (after `onCancel` ran). */
  async throwIfInterrupted(message: string): Promise<void> {
    if (!this.signal) return
    await this.#cancel?.().catch(() => {})
    throw new CliError(message, { code: 'cancelled', exitCode: signalExitCode(this.signal) })
  }

  /** Removes the signal listeners. */
  dispose(): void {
    this.#dispose()
  }
}

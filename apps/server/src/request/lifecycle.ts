/** Something running that shutdown can end at once (an open stream). */
export interface Terminable {
  /** End now, telling the client why (an in-band error event for a stream). */
  terminate(reason: unknown): void
}

/** An in-flight request, as far as shutdown is concerned. */
export interface InFlight {
  /** Abort the request's upstream work (no-op once aborted). */
  abort(reason: unknown): void
}

/**
 * In-flight bookkeeping for graceful shutdown: which requests are running, which streams are
 * open, and whether the relay is draining.
 */
export class Lifecycle {
  readonly inflight: Set<InFlight> = new Set()
  readonly streams: Set<Terminable> = new Set()
  #draining = false
  #idle: (() => void)[] = []

  get draining(): boolean {
    return this.#draining
  }

  /** Stop taking new work: later responses carry `Connection: close`. */
  beginDrain(): void {
    this.#draining = true
  }

  add(request: InFlight): void {
    this.inflight.add(request)
  }

  remove(request: InFlight): void {
    this.inflight.delete(request)
    if (this.inflight.size === 0 && this.#idle.length > 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const resolve of waiters) resolve()
    }
  }

  /** Resolves when no request is in flight (streams included). */
  whenIdle(): Promise<void> {
    if (this.inflight.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /**
   * End everything still running: open streams get their in-band error event (no `[DONE]`) and
   * every upstream call is aborted.
   */
  terminateAll(reason: unknown): void {
    for (const stream of [...this.streams]) stream.terminate(reason)
    for (const request of [...this.inflight]) request.abort(reason)
  }
}

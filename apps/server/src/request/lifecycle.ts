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

/** Told when the first request starts and when the last one ends. */
export interface LifecycleObserver {
  busy(): void
  idle(): void
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
  #observer: LifecycleObserver | null = null

  get draining(): boolean {
    return this.#draining
  }

  /** Stop taking new work: later responses carry `Connection: close`. */
  beginDrain(): void {
    this.#draining = true
  }

  /** Be told when the relay goes from idle to busy and back (one observer: the idle collector). */
  observe(observer: LifecycleObserver | null): void {
    this.#observer = observer
  }

  add(request: InFlight): void {
    this.inflight.add(request)
    if (this.inflight.size === 1) this.#observer?.busy()
  }

  remove(request: InFlight): void {
    if (this.inflight.delete(request) && this.inflight.size === 0) this.#observer?.idle()
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

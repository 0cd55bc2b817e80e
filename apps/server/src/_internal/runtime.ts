import type { ResolvedConfig } from '@airelays/config'
import type { FileStore } from '@airelays/file-inliner'
import type { RateLimiter } from '@airelays/ratelimit'
import type { UpstreamClient } from '@airelays/upstream-client'
import type { ConversationStore } from './conversations'
import type { RequestState } from './context'
import type { SecretSet } from './redact'
import type { SseStream } from './sse'
import type { TokenReader } from './token-reader'
import type { RelayLogger, TrafficLog } from './traffic-log'

/** Resolved settings of one relay app. */
export interface RelaySettings {
  readonly config: ResolvedConfig
  readonly maxJsonBodyBytes: number
  readonly keepAliveMs: number
  /**
   * The relay owns the Node server it runs in (`serveRelay`): streams are written straight to
   * the `ServerResponse`. False for `app.fetch` and apps mounted in a host, which get `Response`s.
   */
  readonly nodeResponses: boolean
}

/** Everything one relay app shares between requests. Built once by `createRelayApp`. */
export interface RelayRuntime {
  readonly settings: RelaySettings
  readonly version: string
  readonly now: () => number
  readonly logger: RelayLogger
  readonly log: TrafficLog
  readonly secrets: SecretSet
  readonly tokens: TokenReader
  readonly limiter: RateLimiter
  readonly upstream: UpstreamClient
  readonly files: FileStore
  readonly conversations: ConversationStore
  readonly lifecycle: Lifecycle
  /** Ids of logged requests waiting for the models catalog (upstream records are attributed to the first). */
  readonly modelsWaiters: string[]
  /** Requests counted in `requests_total` (every logged request). */
  requestsTotal: number
}

/**
 * In-flight bookkeeping for graceful shutdown: which requests are running, which streams are
 * open, and whether the relay is draining.
 */
export class Lifecycle {
  readonly inflight: Set<RequestState> = new Set()
  readonly streams: Set<SseStream> = new Set()
  #draining = false
  #idle: (() => void)[] = []

  get draining(): boolean {
    return this.#draining
  }

  /** Stop taking new work: later responses carry `Connection: close`. */
  beginDrain(): void {
    this.#draining = true
  }

  add(state: RequestState): void {
    this.inflight.add(state)
  }

  remove(state: RequestState): void {
    this.inflight.delete(state)
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
    for (const state of [...this.inflight]) {
      if (!state.abort.signal.aborted) state.abort.abort(reason)
    }
  }
}

// `GET {baseUrl}/models`: the visible catalog, cached per account and client version, with one
// shared fetch per key for concurrent callers.
import type { CallOptions, ModelsCacheStatus, UpstreamModel } from '../../client-api'
import { UpstreamError, isRecord } from '../../errors'
import { abortedError, parseJsonSafe, raceSignal } from '../http'
import type { ReadyAuth } from '../tokens'
import { type ClientContext, ensureOpen } from './context'
import { getWithAuth, httpFailure } from './transport'

interface ModelsCacheEntry {
  key: string
  models: UpstreamModel[]
  fetchedAt: number
}

/** Entries with a slug whose `visibility` is "list" or absent, by ascending `priority` (stable). */
export function visibleModels(list: readonly unknown[]): UpstreamModel[] {
  return list
    .filter(
      (entry): entry is UpstreamModel =>
        isRecord(entry) && typeof entry.slug === 'string' && entry.slug !== '',
    )
    .filter(
      (entry) => entry.visibility === undefined || entry.visibility === null || entry.visibility === 'list',
    )
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => {
      const pa = typeof a.entry.priority === 'number' ? a.entry.priority : Number.POSITIVE_INFINITY
      const pb = typeof b.entry.priority === 'number' ? b.entry.priority : Number.POSITIVE_INFINITY
      return pa === pb ? a.index - b.index : pa - pb
    })
    .map(({ entry }) => entry)
}

/** The models catalog of one client: `models()`, `invalidateModels()`, `modelsCacheStatus()`. */
export class ModelsCache {
  private readonly ctx: ClientContext
  private entry: ModelsCacheEntry | null = null
  private readonly inFlight = new Map<string, Promise<UpstreamModel[]>>()
  /** Bumped by `invalidate()`: a fetch started before it must not fill the cache. */
  private generation = 0

  constructor(ctx: ClientContext) {
    this.ctx = ctx
  }

  /** Visible models (copies), from the cache when fresh for these credentials. */
  async list(options: CallOptions = {}): Promise<UpstreamModel[]> {
    const { ctx } = this
    ensureOpen(ctx)
    const signal = options.signal
    if (signal?.aborted) throw abortedError(signal.reason)
    const ready = await ctx.credentials.ready({ signal })
    const key = this.keyOf(ready)
    const ttlMs = ctx.settings.modelsTtlMs
    if (ttlMs > 0 && this.entry && this.entry.key === key && ctx.clock() - this.entry.fetchedAt < ttlMs) {
      return this.entry.models.map((model) => ({ ...model }))
    }
    let shared = this.inFlight.get(key)
    if (!shared) {
      shared = this.fetch(key).finally(() => this.inFlight.delete(key))
      this.inFlight.set(key, shared)
    }
    const list = await raceSignal(shared, signal)
    return list.map((model) => ({ ...model }))
  }

  /** Drop the cached list; fetches already running do not refill it. */
  invalidate(): void {
    this.entry = null
    this.generation++
  }

  status(): ModelsCacheStatus {
    const ttlMs = this.ctx.settings.modelsTtlMs
    const ttlSeconds = ttlMs / 1000
    const none = { age_seconds: null, expires_in_seconds: null, cached_model_count: 0 }
    if (ttlMs <= 0) return { enabled: false, ttl_seconds: 0, state: 'disabled', ...none }
    if (!this.entry) return { enabled: true, ttl_seconds: ttlSeconds, state: 'empty', ...none }
    const age = (this.ctx.clock() - this.entry.fetchedAt) / 1000
    return {
      enabled: true,
      ttl_seconds: ttlSeconds,
      state: age < ttlSeconds ? 'fresh' : 'expired',
      age_seconds: Math.round(age * 1000) / 1000,
      expires_in_seconds: Math.max(0, Math.round((ttlSeconds - age) * 1000) / 1000),
      cached_model_count: this.entry.models.length,
    }
  }

  /** The cache key: account, bound account and client version. */
  private keyOf(ready: ReadyAuth): string {
    const version = this.ctx.settings.identity.clientVersion
    return `${ready.accountId}\u0000${ready.auth.bound_account_id ?? ''}\u0000${version}`
  }

  private async fetch(key: string): Promise<UpstreamModel[]> {
    const { ctx } = this
    const generation = this.generation
    const version = encodeURIComponent(ctx.settings.identity.clientVersion)
    const url = `${ctx.settings.baseUrl}/models?client_version=${version}`
    const result = await getWithAuth(ctx, { url, what: 'Models request', signal: undefined })
    if (result.status >= 400) throw httpFailure(ctx, result, 'Models request')
    const payload = parseJsonSafe(result.text)
    const list = isRecord(payload) ? payload.models : undefined
    if (!Array.isArray(list)) {
      throw new UpstreamError({
        code: 'upstream_http_error',
        message: 'Upstream models payload is not valid (expected {"models": [...]}).',
        upstreamStatus: result.status,
        headers: result.headers,
      })
    }
    const models = visibleModels(list)
    if (ctx.settings.modelsTtlMs > 0 && generation === this.generation) {
      this.entry = { key, models, fetchedAt: ctx.clock() }
    }
    return models
  }
}

// What the generation pipeline adds around the upstream call: the client headers forwarded
// upstream, the catalog checks made before it (model, reasoning effort, service tier), the
// mapping of the backend's "requires a newer version" refusal, and a stream whose upstream call
// is still pending (so the relay can commit its headers and keep the connection alive while the
// backend reasons silently).
import type { ResponsesRequest } from '@airelays/translate'
import {
  isUpstreamError,
  type ResponsesEvent,
  type ResponsesStream,
  type UpstreamModel,
} from '@airelays/upstream-client'
import { clientVersionTooOld, unknownModel, unsupportedEffort } from '../errors/factories'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { EventSource } from '../streaming/sse-stream'

/**
 * Client headers forwarded upstream as they are: Codex's session and turn headers (they pin the
 * prompt cache and the backend's routing) and the Responses-Lite switch.
 */
const FORWARDED_HEADERS: readonly string[] = [
  'session-id',
  'thread-id',
  'x-client-request-id',
  'x-codex-window-id',
  'x-codex-turn-metadata',
  'x-codex-beta-features',
  'x-codex-installation-id',
  'x-codex-turn-state',
  'x-openai-subagent',
  'x-openai-internal-codex-responses-lite',
]

/** The forwarded client headers present on `req` (lower-case names). */
export function forwardedHeaders(req: RelayRequest): Record<string, string> {
  const out: Record<string, string> = {}
  const headers = req.event.req.headers
  for (const name of FORWARDED_HEADERS) {
    const value = headers.get(name)
    if (value !== null && value !== '') out[name] = value
  }
  return out
}

/** A Codex build (`originator: codex_exec`, `user-agent: codex_cli_rs/…`, the Codex app, …). */
export function isCodexClient(req: RelayRequest): boolean {
  const headers = req.event.req.headers
  return /^codex/i.test(headers.get('originator') ?? '') || /^codex/i.test(headers.get('user-agent') ?? '')
}

/** The client's own session id: `session-id`, else the older `session_id` spelling. */
export function clientSessionId(req: RelayRequest): string | null {
  const headers = req.event.req.headers
  const value = headers.get('session-id') ?? headers.get('session_id')
  return value !== null && value.trim() !== '' ? value.trim() : null
}

/** The catalog (visible models at the relay's client version), or null when it cannot be read now. */
async function catalogOf(rt: RelayRuntime, req: RelayRequest): Promise<UpstreamModel[] | null> {
  try {
    return await rt.upstream.models({ signal: req.signal })
  } catch {
    // An unreadable catalog never blocks a request: the backend has the last word.
    return null
  }
}

/** Where the request's reasoning effort sits, for error params. */
export type EffortParam = 'reasoning.effort' | 'reasoning_effort'

/**
 * Check `request` against the catalog before any upstream call: an unknown model is a local 404
 * (unless it is listed in `extra_models`), a reasoning effort the model does not list is a 400,
 * and `service_tier: "priority"` is dropped (and returned, to be reported as ignored) when the
 * model does not offer it. Skipped when the catalog cannot be read.
 */
export async function checkAgainstCatalog(
  rt: RelayRuntime,
  req: RelayRequest,
  request: ResponsesRequest,
  effortParam: EffortParam,
): Promise<string[]> {
  const model = request.model
  if (rt.settings.config.providers.openai.extra_models.includes(model)) return []
  const catalog = await catalogOf(rt, req)
  if (!catalog) return []
  const entry = catalog.find((m) => m.slug === model)
  if (!entry) {
    throw unknownModel(
      model,
      catalog.map((m) => m.slug),
      rt.upstream.clientVersion,
    )
  }
  const effort = request.reasoning?.effort
  const levels = (entry.supported_reasoning_levels ?? []).map((level) => level.effort)
  if (typeof effort === 'string' && levels.length > 0 && !levels.includes(effort)) {
    throw unsupportedEffort(effortParam, effort, model, levels)
  }
  const ignored: string[] = []
  if (request.service_tier === 'priority' && !serviceTiers(entry).includes('priority')) {
    delete request.service_tier
    ignored.push('service_tier')
  }
  return ignored
}

/** The ids of a catalog entry's `service_tiers` (objects `{id}` or strings). */
export function serviceTiers(entry: UpstreamModel): string[] {
  const tiers = entry.service_tiers
  if (!Array.isArray(tiers)) return []
  return tiers
    .map((tier) => (typeof tier === 'string' ? tier : (tier as { id?: unknown } | null)?.id))
    .filter((id): id is string => typeof id === 'string')
}

/** The backend's "requires a newer version of Codex" as the relay's `client_version_too_old` 400. */
export function mapUpstreamFailure(rt: RelayRuntime, model: string | null): (error: unknown) => never {
  return (error) => {
    if (isUpstreamError(error) && error.code === 'client_version_too_old') {
      throw clientVersionTooOld(model, rt.upstream.clientVersion)
    }
    throw error
  }
}

/**
 * An event source over an upstream call that may still be pending: iterating waits for the call,
 * then yields its events; a failure of the call is thrown from the first `next()`. `cancel()`
 * before the call settled aborts it through `abort`.
 */
export function pendingEvents(
  pending: Promise<ResponsesStream>,
  abort: (reason: unknown) => void,
): EventSource<ResponsesEvent> {
  let stream: ResponsesStream | null = null
  let cancelled = false
  return {
    cancel() {
      cancelled = true
      if (stream) stream.cancel()
      else abort(new Error('The stream ended before the upstream answered.'))
    },
    async *[Symbol.asyncIterator]() {
      stream = await pending
      if (cancelled) {
        stream.cancel()
        return
      }
      yield* stream
    },
  }
}

/** Settles with the call, or with `null` once `ms` passed first. Never rejects. */
export function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve({ value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        resolve({ error })
      },
    )
  })
}

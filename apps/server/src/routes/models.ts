import type { UpstreamModel } from '@airelays/upstream-client'
import { getQuery, getRouterParam } from 'h3'
import { modelNotFound } from '../errors/factories'
import { serviceTiers } from '../generation/upstream-call'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

/** One `/v1/models` entry with the reference's `airelays` extension block. */
interface ModelRecord {
  id: string
  object: 'model'
  created: 0
  owned_by: 'airelays-openai-subscription'
  airelays: {
    provider: 'openai'
    upstream_model: string
    capabilities: {
      routes: {
        responses: true
        chat_completions: true
        completions: true
        files: true
        conversations: true
        subscription_status: true
      }
      stateful_conversations: true
    }
    /** Efforts from the catalog's `supported_reasoning_levels`, default from `default_reasoning_level`. */
    reasoning: { parameter: 'reasoning_effort'; modes: string[]; default: string | null }
    /** Service tiers the model offers (`priority` = Fast mode; `fast` is accepted as its alias). */
    service_tiers: string[]
    /** Oldest Codex client version that can call it, from the catalog. */
    minimal_client_version: string | null
    structured_output: { parameter: 'response_format'; types: string[] }
  }
}

/** The model list of `GET /v1/models`. */
interface ModelList {
  object: 'list'
  data: ModelRecord[]
}

/** Reasoning modes of a model without a catalog entry (an `extra_models` id). */
const FALLBACK_MODES = ['none', 'low', 'medium', 'high', 'xhigh']

function modelRecord(id: string, entry: UpstreamModel | null): ModelRecord {
  const modes = entry?.supported_reasoning_levels?.map((level) => level.effort) ?? FALLBACK_MODES
  const defaultEffort =
    typeof entry?.default_reasoning_level === 'string' ? entry.default_reasoning_level : null
  return {
    id,
    object: 'model',
    created: 0,
    owned_by: 'airelays-openai-subscription',
    airelays: {
      provider: 'openai',
      upstream_model: id,
      capabilities: {
        routes: {
          responses: true,
          chat_completions: true,
          completions: true,
          files: true,
          conversations: true,
          subscription_status: true,
        },
        stateful_conversations: true,
      },
      reasoning: { parameter: 'reasoning_effort', modes, default: entry ? defaultEffort : 'none' },
      service_tiers: entry ? serviceTiers(entry) : [],
      minimal_client_version: minimalVersion(entry),
      structured_output: { parameter: 'response_format', types: ['json_schema'] },
    },
  }
}

function minimalVersion(entry: UpstreamModel | null): string | null {
  const value = entry?.minimal_client_version
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((n) => Number.isInteger(n))) return value.join('.')
  return null
}

/**
 * The list for the upstream catalog (only called after a successful catalog fetch) with the
 * `extra_models` appended, without duplicates.
 */
function modelList(catalog: readonly UpstreamModel[], extraModels: readonly string[]): ModelList {
  const seen = new Set<string>()
  const data: ModelRecord[] = []
  const entries: Array<[string, UpstreamModel | null]> = [
    ...catalog.map((m): [string, UpstreamModel] => [m.slug, m]),
    ...extraModels.map((id): [string, null] => [id, null]),
  ]
  for (const [id, entry] of entries) {
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue
    seen.add(id)
    data.push(modelRecord(id, entry))
  }
  return { object: 'list', data }
}

async function currentList(rt: RelayRuntime, req: RelayRequest): Promise<ModelList> {
  const openai = rt.settings.config.providers.openai
  if (!openai.enabled) return { object: 'list', data: [] }
  let catalog: UpstreamModel[]
  if (req.logged) rt.modelsWaiters.push(req.id)
  try {
    // `?refresh=true` refetches the catalog now instead of serving the cached one
    if (getQuery(req.event).refresh === 'true') rt.upstream.invalidateModels()
    catalog = await rt.upstream.models({ signal: req.signal })
  } finally {
    const index = rt.modelsWaiters.indexOf(req.id)
    if (index >= 0) rt.modelsWaiters.splice(index, 1)
  }
  return modelList(catalog, openai.extra_models)
}

/**
 * `GET /v1/models`: the upstream catalog (cached by the upstream client) in upstream order, each
 * entry with the reference's `airelays` block, then `extra_models` — only when the catalog fetch
 * succeeded. Upstream login problems give 503.
 */
export function modelsRoute(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    const cache = rt.upstream.modelsCacheStatus()
    req.record('provider_models_cache', { provider: 'openai', state: cache.state })
    return req.json(await currentList(rt, req))
  }
}

/** `GET /v1/models/{model}`: one entry of the list, or 404 `model_not_found`. */
export function modelRoute(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    const id = getRouterParam(req.event, 'model', { decode: true }) ?? ''
    const model = (await currentList(rt, req)).data.find((entry) => entry.id === id)
    if (!model) throw modelNotFound(id)
    return req.json(model)
  }
}

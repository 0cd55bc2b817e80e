import { getRouterParam } from 'h3'
import { modelNotFound } from '../errors/factories'
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
    reasoning: { parameter: 'reasoning_effort'; modes: string[]; default: 'none' }
    structured_output: { parameter: 'response_format'; types: string[] }
  }
}

/** The model list of `GET /v1/models`. */
interface ModelList {
  object: 'list'
  data: ModelRecord[]
}

function modelRecord(id: string): ModelRecord {
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
      reasoning: {
        parameter: 'reasoning_effort',
        modes: ['none', 'low', 'medium', 'high', 'xhigh'],
        default: 'none',
      },
      structured_output: { parameter: 'response_format', types: ['json_schema'] },
    },
  }
}

/**
 * The list for upstream `slugs` (only called after a successful catalog fetch) with the
 * `extra_models` appended, without duplicates.
 */
function modelList(slugs: readonly string[], extraModels: readonly string[]): ModelList {
  const seen = new Set<string>()
  const data: ModelRecord[] = []
  for (const id of [...slugs, ...extraModels]) {
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue
    seen.add(id)
    data.push(modelRecord(id))
  }
  return { object: 'list', data }
}

async function currentList(rt: RelayRuntime, req: RelayRequest): Promise<ModelList> {
  const openai = rt.settings.config.providers.openai
  if (!openai.enabled) return { object: 'list', data: [] }
  let slugs: string[]
  if (req.logged) rt.modelsWaiters.push(req.id)
  try {
    slugs = (await rt.upstream.models({ signal: req.signal })).map((model) => model.slug)
  } finally {
    const index = rt.modelsWaiters.indexOf(req.id)
    if (index >= 0) rt.modelsWaiters.splice(index, 1)
  }
  return modelList(slugs, openai.extra_models)
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

import { getRouterParam } from 'h3'
import { type RequestState, stateOf } from '../_internal/context'
import { type ModelList, modelList } from '../_internal/models'
import { jsonResponse } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import { upstreamFailure } from '../_internal/upstream-errors'
import { RelayError } from '../errors'
import type { RelayHandler } from './index'

async function currentList(rt: RelayRuntime, state: RequestState): Promise<ModelList> {
  const signal = state.abort.signal
  const openai = rt.settings.config.providers.openai
  if (!openai.enabled) return { object: 'list', data: [] }
  let slugs: string[]
  if (state.logged) rt.modelsWaiters.push(state.id)
  try {
    slugs = (await rt.upstream.models({ signal })).map((model) => model.slug)
  } catch (error) {
    throw upstreamFailure(rt, error)
  } finally {
    const index = rt.modelsWaiters.indexOf(state.id)
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
  return async (event) => {
    const state = stateOf(event)
    const cache = rt.upstream.modelsCacheStatus()
    if (state.logged)
      rt.log.write(state.id, 'provider_models_cache', { provider: 'openai', state: cache.state })
    return jsonResponse(state, 200, await currentList(rt, state))
  }
}

/** `GET /v1/models/{model}`: one entry of the list, or 404 `model_not_found`. */
export function modelRoute(rt: RelayRuntime): RelayHandler {
  return async (event) => {
    const state = stateOf(event)
    const id = getRouterParam(event, 'model', { decode: true }) ?? ''
    const model = (await currentList(rt, state)).data.find((entry) => entry.id === id)
    if (!model) {
      throw new RelayError({
        status: 404,
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
        message: `The model \`${id}\` is not in the AIRelays model list.`,
      })
    }
    return jsonResponse(state, 200, model)
  }
}

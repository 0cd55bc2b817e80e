import { stateOf } from '../_internal/context'
import { modelList } from '../_internal/models'
import { jsonResponse } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import { upstreamFailure } from '../_internal/upstream-errors'
import type { RelayHandler } from './index'

/**
 * `GET /v1/models`: the upstream catalog (cached by the upstream client) in upstream order, each
 * entry with the reference's `airelays` block, then `extra_models` — only when the catalog fetch
 * succeeded. Upstream login problems give 503.
 */
export function modelsRoute(rt: RelayRuntime): RelayHandler {
  return async (event) => {
    const state = stateOf(event)
    const openai = rt.settings.config.providers.openai
    if (!openai.enabled) return jsonResponse(state, 200, { object: 'list', data: [] })
    const cache = rt.upstream.modelsCacheStatus()
    if (state.logged)
      rt.log.write(state.id, 'provider_models_cache', { provider: 'openai', state: cache.state })
    let slugs: string[]
    try {
      slugs = (await rt.upstream.models({ signal: state.abort.signal })).map((model) => model.slug)
    } catch (error) {
      throw upstreamFailure(rt, error)
    }
    return jsonResponse(state, 200, modelList(slugs, openai.extra_models))
  }
}

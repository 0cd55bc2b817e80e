/** One `/v1/models` entry with the reference's `airelays` extension block. */
export interface ModelRecord {
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
export interface ModelList {
  object: 'list'
  data: ModelRecord[]
}

export function modelRecord(id: string): ModelRecord {
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
export function modelList(slugs: readonly string[], extraModels: readonly string[]): ModelList {
  const seen = new Set<string>()
  const data: ModelRecord[] = []
  for (const id of [...slugs, ...extraModels]) {
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue
    seen.add(id)
    data.push(modelRecord(id))
  }
  return { object: 'list', data }
}

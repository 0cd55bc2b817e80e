import { type ClaudeModelMap, resolveClaudeModel } from '@airelays/translate'
import { getRouterParam } from 'h3'
import { modelNotFound } from '../errors/factories'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'
import { claudeModelMap } from './messages'

/** Claude model ids listed by `GET /v1/models` for Anthropic clients (any `claude-*` id is served). */
export const LISTED_CLAUDE_MODELS: readonly string[] = [
  'claude-opus-5-5',
  'claude-opus-4-8',
  'claude-sonnet-5',
  'claude-sonnet-4-6',
  'claude-haiku-4-5',
  'claude-fable-5',
]

/** The context window the relay reports (the subscription models' ~270k, rounded down). */
const MAX_INPUT_TOKENS = 256_000
const MAX_OUTPUT_TOKENS = 128_000

/** One Anthropic `ModelInfo`, with where the relay sends it in `description`. */
interface AnthropicModelInfo {
  type: 'model'
  id: string
  display_name: string
  description: string
  created_at: string
  max_input_tokens: number
  max_tokens: number
}

function displayName(id: string): string {
  return id
    .split('-')
    .map((word) => (/^\d+$/.test(word) ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ')
    .replace(/(\d) (\d)/g, '$1.$2')
}

function modelInfo(id: string, map: ClaudeModelMap): AnthropicModelInfo {
  const target = resolveClaudeModel(id, map)
  const effort = target.effort === null ? '' : ` (effort ${target.effort})`
  return {
    type: 'model',
    id,
    display_name: displayName(id),
    description: `Served by AIRelays on the ChatGPT subscription model ${target.model}${effort}.`,
    created_at: '1970-01-01T00:00:00Z',
    max_input_tokens: MAX_INPUT_TOKENS,
    max_tokens: MAX_OUTPUT_TOKENS,
  }
}

/** Listed ids: the known Claude ids, then the exact `claude-*` keys of a configured table. */
function listedIds(map: ClaudeModelMap): string[] {
  const ids = new Set(LISTED_CLAUDE_MODELS)
  if (typeof map !== 'function') {
    for (const key of Object.keys(map)) {
      const id = key.trim().toLowerCase()
      if (id.startsWith('claude-') && !id.includes('*')) ids.add(id)
    }
  }
  return [...ids]
}

/** Whether `req` comes from an Anthropic client (the SDK and Claude Code always send `anthropic-version`). */
function isAnthropicClient(req: RelayRequest): boolean {
  return req.event.req.headers.has('anthropic-version')
}

/**
 * `GET /v1/models` in Anthropic's page shape (`{data, has_more, first_id, last_id}`, Claude ids
 * only) when the request carries `anthropic-version`; the OpenAI list otherwise.
 */
export function modelsRouteFor(rt: RelayRuntime, openai: RelayHandler): RelayHandler {
  const map = claudeModelMap(rt)
  return (req) => {
    if (!isAnthropicClient(req)) return openai(req)
    req.setHeader('request-id', req.id)
    const data = listedIds(map).map((id) => modelInfo(id, map))
    return req.json({
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    })
  }
}

/**
 * `GET /v1/models/{id}` as an Anthropic `ModelInfo` when the request carries `anthropic-version`
 * (any id the Claude model map sends somewhere, i.e. every `claude-*` id with the default map;
 * else 404 `not_found_error`); the OpenAI entry otherwise.
 */
export function modelRouteFor(rt: RelayRuntime, openai: RelayHandler): RelayHandler {
  const map = claudeModelMap(rt)
  return (req) => {
    if (!isAnthropicClient(req)) return openai(req)
    req.setHeader('request-id', req.id)
    const id = getRouterParam(req.event, 'model', { decode: true }) ?? ''
    const target = resolveClaudeModel(id, map)
    if (target.model === id && target.effort === null) throw modelNotFound(id)
    return req.json(modelInfo(id, map))
  }
}

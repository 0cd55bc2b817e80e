import type { EmulatorModel, EmulatorReasoningLevel } from '../types'

const LEVEL_TEXT: Record<string, string> = {
  none: 'No reasoning; fastest answers',
  minimal: 'Very little reasoning',
  low: 'Fast responses with lighter reasoning',
  medium: 'Balances speed and reasoning depth for everyday tasks',
  high: 'Greater reasoning depth for complex problems',
  xhigh: 'Extra high reasoning depth for complex problems',
  max: 'Maximum reasoning depth',
  ultra: 'Longest reasoning for the hardest problems',
}

function levels(...efforts: string[]): EmulatorReasoningLevel[] {
  return efforts.map((effort) => ({ effort, description: LEVEL_TEXT[effort] ?? effort }))
}

type ModelEntry = Pick<EmulatorModel, 'slug' | 'display_name' | 'description' | 'priority'> &
  Partial<EmulatorModel>

/** A catalog entry: the common fields, overridden by `entry`. */
function model(entry: ModelEntry): EmulatorModel {
  const { slug, display_name, description, priority, ...overrides } = entry
  return {
    slug,
    display_name,
    description,
    visibility: 'list',
    priority,
    default_reasoning_level: 'medium',
    supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh'),
    minimal_client_version: '0.98.0',
    supported_in_api: true,
    context_window: 272000,
    service_tiers: [],
    supports_reasoning_summaries: true,
    support_verbosity: true,
    default_verbosity: 'low',
    supports_parallel_tool_calls: true,
    shell_type: 'shell_command',
    apply_patch_tool_type: 'freeform',
    truncation_policy: { mode: 'tokens', limit: 10000 },
    experimental_supported_tools: [],
    upgrade: null,
    available_in_plans: ['free', 'go', 'plus', 'pro', 'team', 'business', 'enterprise', 'edu'],
    ...overrides,
  }
}

/**
 * The default catalog, as the backend served a Plus account in December 2026: the models still
 * served on ChatGPT auth (gpt-5.4-mini, gpt-5.5, the 5.6 and 6 families, each gated by the
 * client version that introduced it) and one hidden model.
 */
export function defaultModels(): EmulatorModel[] {
  return [
    model({
      slug: 'gpt-5.5',
      display_name: 'GPT-5.5',
      description: 'Frontier model for everyday coding and agentic work.',
      priority: 1,
      minimal_client_version: '0.120.0',
      service_tiers: [{ id: 'priority' }],
    }),
    model({
      slug: 'gpt-5.4-mini',
      display_name: 'GPT-5.4-Mini',
      description: 'Smaller, faster and cheaper model.',
      priority: 2,
      default_reasoning_level: 'medium',
      context_window: 200000,
    }),
    model({
      slug: 'gpt-5.6-sol',
      display_name: 'GPT-5.6 Sol',
      description: 'Deep reasoning model of the 5.6 family.',
      priority: 3,
      minimal_client_version: '0.144.0',
      default_reasoning_level: 'high',
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max', 'ultra'),
      service_tiers: [{ id: 'priority' }],
      context_window: 400000,
    }),
    model({
      slug: 'gpt-5.6-terra',
      display_name: 'GPT-5.6 Terra',
      description: 'Balanced model of the 5.6 family.',
      priority: 4,
      minimal_client_version: '0.144.0',
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max', 'ultra'),
      context_window: 400000,
    }),
    model({
      slug: 'gpt-5.6-luna',
      display_name: 'GPT-5.6 Luna',
      description: 'Fast, light model of the 5.6 family.',
      priority: 5,
      minimal_client_version: '0.144.0',
      default_reasoning_level: 'low',
      supported_reasoning_levels: levels('minimal', 'low', 'medium', 'high'),
      context_window: 272000,
    }),
    model({
      slug: 'gpt-6-astra',
      display_name: 'GPT-6 Astra',
      description: 'First model of the 6 family.',
      priority: 6,
      minimal_client_version: '0.153.0',
      default_reasoning_level: 'high',
      // `ultra` is listed but refused by the backend (see REFUSED_EFFORTS in validate.ts)
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max', 'ultra'),
      service_tiers: [{ id: 'priority' }],
      context_window: 400000,
    }),
    model({
      slug: 'gpt-6-sol',
      display_name: 'GPT-6 Sol',
      description: 'Deep reasoning model of the 6 family.',
      priority: 7,
      minimal_client_version: '0.155.0',
      default_reasoning_level: 'high',
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max'),
      service_tiers: [{ id: 'priority' }],
      context_window: 400000,
    }),
    model({
      slug: 'gpt-6-luna',
      display_name: 'GPT-6 Luna',
      description: 'Fast, light model of the 6 family.',
      priority: 8,
      minimal_client_version: '0.155.0',
      default_reasoning_level: 'low',
      supported_reasoning_levels: levels('low', 'medium', 'high'),
      context_window: 272000,
    }),
    model({
      slug: 'codex-auto-review',
      display_name: 'Codex Auto Review',
      description: 'Internal review model (hidden from pickers).',
      priority: 90,
      visibility: 'hide',
      supported_in_api: false,
      default_reasoning_level: 'low',
      supported_reasoning_levels: levels('low', 'medium'),
    }),
  ]
}

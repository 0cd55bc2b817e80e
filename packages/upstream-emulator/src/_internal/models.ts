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

function model(
  slug: string,
  displayName: string,
  description: string,
  priority: number,
  extra: Partial<EmulatorModel>,
): EmulatorModel {
  return {
    slug,
    display_name: displayName,
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
    ...extra,
  }
}

/** The default catalog: four visible models and one hidden one. */
export function defaultModels(): EmulatorModel[] {
  return [
    model('gpt-5.5', 'GPT-5.5', 'Frontier model for everyday coding and agentic work.', 1, {
      minimal_client_version: '0.120.0',
      service_tiers: [{ id: 'priority' }],
    }),
    model('gpt-5.4-mini', 'GPT-5.4-Mini', 'Smaller, faster and cheaper model.', 2, {
      default_reasoning_level: 'medium',
      context_window: 200000,
    }),
    model('gpt-5.6-sol', 'GPT-5.6 Sol', 'Deep reasoning model of the 5.6 family.', 3, {
      minimal_client_version: '0.130.0',
      default_reasoning_level: 'high',
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max', 'ultra'),
      service_tiers: [{ id: 'priority' }],
      context_window: 400000,
    }),
    model('gpt-5.6-terra', 'GPT-5.6 Terra', 'Balanced model of the 5.6 family.', 4, {
      minimal_client_version: '0.130.0',
      supported_reasoning_levels: levels('low', 'medium', 'high', 'xhigh', 'max', 'ultra'),
      context_window: 400000,
    }),
    model('codex-auto-review', 'Codex Auto Review', 'Internal review model (hidden from pickers).', 90, {
      visibility: 'hide',
      supported_in_api: false,
      default_reasoning_level: 'low',
      supported_reasoning_levels: levels('low', 'medium'),
    }),
  ]
}

/** Parse "X.Y.Z" (or an array like [0, 99, 0]) into numbers; null when unusable. */
export function parseVersion(value: unknown): number[] | null {
  if (Array.isArray(value)) return value.every((n) => Number.isInteger(n)) ? (value as number[]) : null
  if (typeof value !== 'string') return null
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(value.trim())
  if (!match) return null
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)]
}

/** -1 when a < b, 0 when equal, 1 when a > b. */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

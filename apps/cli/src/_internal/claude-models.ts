import { type ClaudeModelRoute, claudeModelTable, type ResolvedConfig } from '@airelays/config'

/** `[providers.anthropic]` as `status --json` and `doctor` show it. */
export interface AnthropicStatus {
  enabled: boolean
  /** Claude model name, family word or `*` pattern -> subscription model and effort. */
  models: Record<string, ClaudeModelRoute>
}

/** The Anthropic Messages surface of `config`: switch and Claude model map. */
export function anthropicStatus(config: ResolvedConfig): AnthropicStatus {
  return { enabled: config.providers.anthropic.enabled, models: claudeModelTable(config) }
}

/** `opus → gpt-5.5 (high)` for one mapping entry. */
export function claudeRouteText(name: string, route: ClaudeModelRoute): string {
  return `${name} → ${route.model}${route.effort ? ` (${route.effort})` : ''}`
}

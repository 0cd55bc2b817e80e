import type { ResolvedConfig } from './types'

/** Where one Claude model name goes: a subscription model and, optionally, a default effort. */
export interface ClaudeModelRoute {
  /** Subscription model id, e.g. `gpt-5.5`. */
  model: string
  /** Default `reasoning.effort`, when the entry names one. */
  effort?: string
}

/**
 * The `[providers.anthropic] models` entries (`name=model[:effort]`) as a table keyed by the
 * Claude model name, family word or `*` pattern, in the shape @airelays/translate's
 * `resolveClaudeModel` takes. Later entries with the same name win.
 *
 * @example
 * claudeModelTable(config) // { opus: { model: 'gpt-5.5', effort: 'high' }, … }
 */
export function claudeModelTable(config: ResolvedConfig): Record<string, ClaudeModelRoute> {
  const table: Record<string, ClaudeModelRoute> = {}
  for (const entry of config.providers.anthropic.models) {
    const equals = entry.indexOf('=')
    if (equals <= 0) continue
    const name = entry.slice(0, equals).trim()
    const [model, effort] = entry
      .slice(equals + 1)
      .trim()
      .split(':')
    if (!model) continue
    table[name] = effort ? { model, effort } : { model }
  }
  return table
}

import type { ClaudeModelMap, ClaudeModelTable, ClaudeModelTarget, ResolvedClaudeModel } from './types'

/**
 * The default Claude model mapping, on the subscription models the Codex backend serves:
 *
 * | Key | Upstream model | Effort |
 * | --- | --- | --- |
 * | `opus` (any `claude-*opus*` id) | `gpt-5.5` | `high` |
 * | `sonnet` | `gpt-5.5` | `medium` |
 * | `haiku` (titles, summaries, classifiers) | `gpt-5.4-mini` | `low` |
 * | `fable` | `gpt-5.5` | `medium` |
 * | `claude-*` (any other Claude id, e.g. `claude-mythos-5`) | `gpt-5.5` | `medium` |
 *
 * Spread it to extend: `{ ...DEFAULT_CLAUDE_MODEL_MAP, opus: { model: 'gpt-5.6-sol', effort: 'xhigh' } }`.
 */
export const DEFAULT_CLAUDE_MODEL_MAP: ClaudeModelTable = Object.freeze({
  opus: Object.freeze({ model: 'gpt-5.5', effort: 'high' }),
  sonnet: Object.freeze({ model: 'gpt-5.5', effort: 'medium' }),
  haiku: Object.freeze({ model: 'gpt-5.4-mini', effort: 'low' }),
  fable: Object.freeze({ model: 'gpt-5.5', effort: 'medium' }),
  'claude-*': Object.freeze({ model: 'gpt-5.5', effort: 'medium' }),
})

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`)
}

function fromTable(name: string, table: ClaudeModelTable): ClaudeModelTarget | null {
  const entries = Object.entries(table).map(([key, target]) => [key.trim().toLowerCase(), target] as const)
  const exact = entries.find(([key]) => key === name)
  if (exact !== undefined) return exact[1]
  if (name.startsWith('claude-')) {
    const words = name.split('-')
    const family = entries.find(
      ([key]) => !key.includes('*') && !key.startsWith('claude-') && words.includes(key),
    )
    if (family !== undefined) return family[1]
  }
  const patterns = entries
    .filter(([key]) => key.includes('*'))
    .sort(([a], [b]) => b.length - a.length)
    .find(([key]) => globToRegExp(key).test(name))
  return patterns === undefined ? null : patterns[1]
}

/**
 * The upstream model and default effort for a requested model name (see {@link ClaudeModelTable}
 * for the matching rules). A model nothing matches is returned unchanged with effort null.
 */
export function resolveClaudeModel(
  model: string,
  map: ClaudeModelMap = DEFAULT_CLAUDE_MODEL_MAP,
): ResolvedClaudeModel {
  const name = model
    .trim()
    .replace(/\[1m\]$/i, '')
    .toLowerCase()
  const target = typeof map === 'function' ? map(model) : fromTable(name, map)
  if (target === null || target === undefined) return { model, effort: null }
  return { model: target.model, effort: target.effort ?? null }
}

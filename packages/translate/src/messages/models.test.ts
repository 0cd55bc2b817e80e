import { describe, expect, it } from 'vitest'
import { DEFAULT_CLAUDE_MODEL_MAP, resolveClaudeModel } from './models'

describe('resolveClaudeModel', () => {
  it('maps the Claude families and any claude-* id by default', () => {
    const cases: [string, string, string | null][] = [
      ['claude-opus-4-8', 'gpt-5.5', 'high'],
      ['claude-opus-5-5[1m]', 'gpt-5.5', 'high'],
      ['claude-sonnet-5', 'gpt-5.5', 'medium'],
      ['claude-haiku-4-5-20251001', 'gpt-5.4-mini', 'low'],
      ['claude-3-5-haiku-latest', 'gpt-5.4-mini', 'low'],
      ['claude-fable-5', 'gpt-5.5', 'medium'],
      ['claude-mythos-5', 'gpt-5.5', 'medium'],
      ['gpt-5.6-sol', 'gpt-5.6-sol', null],
    ]
    for (const [name, model, effort] of cases)
      expect(resolveClaudeModel(name), name).toEqual({ model, effort })
  })

  it('prefers exact keys, then families, then the longest pattern', () => {
    const table = {
      ...DEFAULT_CLAUDE_MODEL_MAP,
      'claude-opus-4-8': { model: 'exact' },
      'claude-sonnet-*': { model: 'pattern' },
    }
    expect(resolveClaudeModel('Claude-Opus-4-8', table)).toEqual({ model: 'exact', effort: null })
    expect(resolveClaudeModel('claude-opus-4-7', table).model).toBe('gpt-5.5')
    expect(resolveClaudeModel('claude-sonnet-5', table).model).toBe('gpt-5.5')
    expect(
      resolveClaudeModel('claude-x-1', { 'claude-*': { model: 'a' }, 'claude-x-*': { model: 'b' } }).model,
    ).toBe('b')
  })

  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_CLAUDE_MODEL_MAP)).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { createTestHome } from './_internal/test-home'
import { claudeModelTable } from './anthropic'
import { loadConfig } from './load'

describe('[providers.anthropic] models', () => {
  it('defaults to the Claude families on the subscription models, as a table', async () => {
    const home = await createTestHome()
    try {
      const { config } = await loadConfig({ env: {}, homeDir: home.dir, cwd: home.dir })
      expect(claudeModelTable(config)).toEqual({
        opus: { model: 'gpt-5.5', effort: 'high' },
        sonnet: { model: 'gpt-5.5', effort: 'medium' },
        haiku: { model: 'gpt-5.4-mini', effort: 'low' },
        fable: { model: 'gpt-5.5', effort: 'medium' },
        'claude-*': { model: 'gpt-5.5', effort: 'medium' },
      })
    } finally {
      await home.remove()
    }
  })

  it('reads name=model[:effort] entries from the environment and refuses malformed ones', async () => {
    const home = await createTestHome()
    try {
      const ok = await loadConfig({
        env: { AIRELAYS_ANTHROPIC_MODELS: 'opus=gpt-5.6-sol:xhigh,claude-haiku-4-5=gpt-5.4-mini' },
        homeDir: home.dir,
        cwd: home.dir,
      })
      expect(ok.errors).toEqual([])
      expect(claudeModelTable(ok.config)).toEqual({
        opus: { model: 'gpt-5.6-sol', effort: 'xhigh' },
        'claude-haiku-4-5': { model: 'gpt-5.4-mini' },
      })
      const bad = await loadConfig({
        env: { AIRELAYS_ANTHROPIC_MODELS: 'opus:gpt-5.5' },
        homeDir: home.dir,
        cwd: home.dir,
      })
      expect(bad.errors.map((e) => e.key)).toContain('providers.anthropic.models')
    } finally {
      await home.remove()
    }
  })
})

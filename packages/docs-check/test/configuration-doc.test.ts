// docs/configuration.md carries a region generated from @airelays/config. This test fails when the
// region drifts from the key table; `pnpm --filter @airelays/docs-check run generate` rewrites it.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configKeys, loadConfig } from '@airelays/config'
import { describe, expect, it } from 'vitest'
import {
  CONFIGURATION_END_MARKER,
  CONFIGURATION_REGION,
  CONFIGURATION_START_MARKER,
  environmentVariables,
  renderConfigurationRegion,
} from '../src/configuration'
import { codeBlocks, generatedRegion, inlineCodeSpans, normalizeTables } from '../src/markdown'
import { messageSources } from '../src/messages'
import { docsDir } from '../src/workspace'

const DOC = join(docsDir, 'configuration.md')

describe('docs/configuration.md', () => {
  it('carries the reference generated from @airelays/config', async () => {
    const doc = await readFile(DOC, 'utf8')
    const start = doc.indexOf(CONFIGURATION_START_MARKER)
    const end = doc.indexOf(CONFIGURATION_END_MARKER)
    expect(start, `docs/configuration.md lacks the marker ${CONFIGURATION_START_MARKER}`).toBeGreaterThan(-1)
    expect(end, `docs/configuration.md lacks the marker ${CONFIGURATION_END_MARKER}`).toBeGreaterThan(start)
    const expected = await renderConfigurationRegion()
    const current = doc.slice(start, end + CONFIGURATION_END_MARKER.length)
    if (normalizeTables(current) !== normalizeTables(expected) && process.env.AIRELAYS_UPDATE_DOCS === '1') {
      await writeFile(DOC, doc.slice(0, start) + expected + doc.slice(end + CONFIGURATION_END_MARKER.length))
      return
    }
    expect(
      normalizeTables(current),
      'docs/configuration.md is stale: run `pnpm --filter @airelays/docs-check run generate`',
    ).toBe(normalizeTables(expected))
  })

  it('names every key, its default, its variables and its flag in the generated region', async () => {
    const doc = await readFile(DOC, 'utf8')
    const region = generatedRegion(doc, CONFIGURATION_REGION)
    expect(region).not.toBeNull()
    const body = region?.body ?? ''
    for (const key of configKeys) {
      expect(body, key.path).toContain(`| \`${key.key}\``)
      for (const name of [...key.env, ...key.legacyEnv]) expect(body, `${key.path}: ${name}`).toContain(name)
      if (key.flag) expect(body, `${key.path}: ${key.flag.name}`).toContain(`\`${key.flag.name}\``)
    }
    // The rendered default file parses back to the defaults (it is what `airelays init` writes).
    const toml = codeBlocks(body).find((block) => block.lang === 'toml')
    expect(toml?.body).toContain('[providers.openai]')
  })

  it('every environment variable named anywhere in the docs is one the relay reads', async () => {
    const known = new Set(environmentVariables().map((variable) => variable.name))
    // The config-file variables are not keys; prove that each one really selects the file.
    for (const name of ['AIRELAYS_CONFIG', 'AIRELAY_CONFIG', 'OPENAI_ENDPOINT_CONFIG']) {
      const { config } = await loadConfig({ env: { [name]: '/nowhere/config.toml' }, homeDir: '/nowhere' })
      expect(config.config_file.path, name).toBe('/nowhere/config.toml')
      expect(config.config_file.source, name).toMatchObject({ name })
      known.add(name)
    }
    // Variables the CLI reads itself (not settings), proven by its sources.
    for (const source of messageSources(['apps/cli/src'])) {
      for (const match of source.text.matchAll(/env(?:\.|\[['"])(AIRELAYS_[A-Z0-9_]+)/g))
        known.add(match[1] as string)
    }
    const { readdir } = await import('node:fs/promises')
    const unknown: string[] = []
    for (const file of (await readdir(docsDir)).filter((name) => name.endsWith('.md'))) {
      const text = await readFile(join(docsDir, file), 'utf8')
      const spans = [...inlineCodeSpans(text), ...codeBlocks(text).map((block) => block.body)].join('\n')
      for (const match of spans.matchAll(/\b(?:AIRELAYS?|OPENAI_ENDPOINT)_[A-Z0-9_]+\b/g)) {
        const name = match[0]
        if (!known.has(name)) unknown.push(`${file}: ${name}`)
      }
    }
    expect(unknown, 'variables the docs name that @airelays/config does not read').toEqual([])
  })
})

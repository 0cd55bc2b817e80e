// Code quoted from a tested file must be that file: every `<!-- example: path -->` block in the docs
// and the package READMEs equals the file it names, byte for byte (apart from the final newline).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { quotedExamples } from '../src/examples'
import { docsDir, repoRoot, workspacePackages } from '../src/workspace'

const markdownFiles = [
  join(repoRoot, 'README.md'),
  ...readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(docsDir, name)),
  ...workspacePackages()
    .map((pkg) => join(pkg.dir, 'README.md'))
    .filter((path) => existsSync(path)),
]

describe('quoted example files', () => {
  it('the upstream-client README quotes its tested tool', () => {
    const readme = readFileSync(join(repoRoot, 'packages/upstream-client/README.md'), 'utf8')
    expect(quotedExamples(readme).map((e) => e.path)).toContain('examples/codex-tool.mjs')
  })

  for (const file of markdownFiles) {
    const examples = quotedExamples(readFileSync(file, 'utf8'))
    if (examples.length === 0) continue
    it(`${relative(repoRoot, file)}: every quoted example equals its file`, () => {
      for (const example of examples) {
        const where = `${relative(repoRoot, file)}:${example.line} (${example.path})`
        const target = join(dirname(file), example.path)
        expect(existsSync(target), `${where}: file missing`).toBe(true)
        expect(example.body, `${where}: no code block after the marker`).not.toBeNull()
        expect(`${example.body}\n`, where).toBe(readFileSync(target, 'utf8'))
      }
    })
  }
})

describe('the example marker reader', () => {
  it('pairs each marker with the next code block', () => {
    const md = [
      '# t',
      '<!-- example: a.mjs -->',
      '',
      '```js',
      'x()',
      '```',
      '<!-- example: b.ts -->',
      'text',
    ].join('\n')
    expect(quotedExamples(md)).toEqual([
      { path: 'a.mjs', line: 2, body: 'x()' },
      { path: 'b.ts', line: 7, body: null },
    ])
  })
})

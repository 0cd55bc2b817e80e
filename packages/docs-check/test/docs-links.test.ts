// The docs link to each other and to package READMEs; every relative link must resolve, every
// `#anchor` into a doc must name one of its headings, and docs/README.md must list every page.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchorOf, headings, withoutCodeBlocks } from '../src/markdown'
import { docsDir, publicPackages, repoRoot } from '../src/workspace'

async function docs(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(docsDir)).filter((name) => name.endsWith('.md')).sort()
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(docsDir, name), 'utf8') })))
}

/** Every `[text](target)` link outside code, with its fragment. */
function links(markdown: string): { path: string; fragment: string | null }[] {
  const out: { path: string; fragment: string | null }[] = []
  for (const match of withoutCodeBlocks(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1] as string
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
    const [path, fragment] = target.split('#') as [string, string | undefined]
    out.push({ path, fragment: fragment ?? null })
  }
  return out
}

describe('links between the docs', () => {
  it('resolve to files, and anchors to headings', async () => {
    const broken: string[] = []
    for (const doc of await docs()) {
      for (const link of links(doc.text)) {
        const target = link.path === '' ? join(docsDir, doc.name) : resolve(docsDir, link.path)
        if (!existsSync(target)) {
          broken.push(`${doc.name}: ${link.path} does not exist`)
          continue
        }
        if (link.fragment && target.endsWith('.md')) {
          const anchors = headings(await readFile(target, 'utf8')).map((heading) => anchorOf(heading.text))
          if (!anchors.includes(link.fragment))
            broken.push(`${doc.name}: #${link.fragment} is no heading of ${relative(repoRoot, target)}`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('docs/README.md links every page of docs/', async () => {
    const all = await docs()
    const index = all.find((doc) => doc.name === 'README.md')
    expect(index, 'docs/README.md is missing').toBeDefined()
    const linked = new Set(
      links(index?.text ?? '').map((link) => relative(docsDir, resolve(docsDir, link.path))),
    )
    const pages = all.map((doc) => doc.name).filter((name) => name !== 'README.md')
    for (const page of [
      'getting-started.md',
      'configuration.md',
      'api-compatibility.md',
      'troubleshooting.md',
      'migration.md',
      'security.md',
      'performance.md',
    ])
      expect(linked, page).toContain(page)
    expect(pages.filter((page) => !linked.has(page))).toEqual([])
  })

  it('docs/README.md links every public package README', async () => {
    const index = await readFile(join(docsDir, 'README.md'), 'utf8')
    const targets = new Set(links(index).map((link) => resolve(docsDir, link.path)))
    const missing = publicPackages()
      .map((pkg) => join(pkg.dir, 'README.md'))
      .filter((readme) => !targets.has(readme))
      .map((readme) => relative(repoRoot, dirname(readme)))
    expect(missing).toEqual([])
  })

  it('computes anchors the way GitHub does', () => {
    expect(anchorOf('Every environment variable')).toBe('every-environment-variable')
    expect(anchorOf('Streams that end with an error')).toBe('streams-that-end-with-an-error')
    expect(anchorOf('The `[server]` section')).toBe('the-server-section')
  })
})

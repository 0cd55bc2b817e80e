// Every public package README says what the package is for, how to install it, shows an example
// that imports it from another Node tool, and names every export of its src/index.ts.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { barrelExports, readmeGaps } from '../src/readme'
import { publicPackages } from '../src/workspace'

describe('public package READMEs', () => {
  const packages = publicPackages()

  it('cover every public package of the workspace', () => {
    expect(packages.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining([
        'airelays',
        '@airelays/server',
        '@airelays/config',
        '@airelays/auth-store',
        '@airelays/ratelimit',
        '@airelays/upstream-client',
        '@airelays/file-inliner',
        '@airelays/translate',
      ]),
    )
  })

  for (const pkg of packages) {
    it(`${pkg.name}: purpose, Install, an example importing it, every export named`, () => {
      const readmePath = join(pkg.dir, 'README.md')
      expect(existsSync(readmePath), `${pkg.relDir}/README.md is missing`).toBe(true)
      const index = join(pkg.dir, 'src/index.ts')
      const exports = existsSync(index) ? barrelExports(readFileSync(index, 'utf8')) : []
      const gaps = readmeGaps(readFileSync(readmePath, 'utf8'), { name: pkg.name, exports })
      expect(gaps, `${pkg.relDir}/README.md`).toEqual([])
    })
  }
})

describe('the README checker', () => {
  const good = [
    '# @x/y',
    '',
    'Does one useful thing for other Node tools, with a sentence long enough to explain it.',
    '',
    '## Install',
    '',
    '```sh',
    'npm install @x/y',
    '```',
    '',
    '## Example',
    '',
    '```ts',
    "import { make } from '@x/y'",
    'make()',
    '```',
    '',
    '`Thing` is a type.',
  ].join('\n')

  it('accepts a complete README', () => {
    expect(readmeGaps(good, { name: '@x/y', exports: ['make', 'Thing'] })).toEqual([])
  })

  it('names each missing part', () => {
    expect(readmeGaps('# @x/y\n\nShort.\n', { name: '@x/y', exports: ['make'] })).toEqual([
      'no purpose paragraph under the title (what the package is for)',
      'no `## Install` section',
      "no `ts`/`js` example block that imports from '@x/y'",
      'exports not documented: make',
    ])
    expect(
      readmeGaps(good.replace('npm install @x/y', 'npm install @x/z'), { name: '@x/y', exports: [] }),
    ).toEqual(['`## Install` has no code block installing `@x/y`'])
  })

  it('reads the names a barrel exports', () => {
    const source = [
      "export { a, b as c } from './a'",
      "export type { T, U } from './t'",
      'export { type V, w } from "./v"',
      'export const VERSION: string = "1"',
      'export async function run(): Promise<void> {}',
    ].join('\n')
    expect(barrelExports(source)).toEqual(['T', 'U', 'V', 'VERSION', 'a', 'c', 'run', 'w'])
  })
})

// Releases: every public package carries release notes for the version it is at, and the pending
// changesets (the next release) are a clean dry run: they are copied with every package manifest into
// a throwaway workspace, `changeset version` runs there, and each public package must get exactly the
// bump its changesets ask for, with their text in its CHANGELOG.md. The repository is never touched.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bump, bumpVersion, type Changeset, expectedBumps, parseChangeset } from '../src/changesets'
import { publicPackages, repoRoot, workspacePackages } from '../src/workspace'

const run = promisify(execFile)
const CHANGESET_DIR = join(repoRoot, '.changeset')
const skip = process.env.AIRELAYS_DOCS_SKIP_SLOW === '1'

const changesetFiles = readdirSync(CHANGESET_DIR)
  .filter((name) => name.endsWith('.md') && name !== 'README.md')
  .sort()
let changesets: Changeset[]
let invalid: string[]

beforeAll(async () => {
  changesets = []
  invalid = []
  for (const name of changesetFiles) {
    const parsed = parseChangeset(`.changeset/${name}`, await readFile(join(CHANGESET_DIR, name), 'utf8'))
    if (typeof parsed === 'string') invalid.push(parsed)
    else changesets.push(parsed)
  }
})

/** The `## x.y.z` version headings of a CHANGELOG.md, newest first. */
function releasedVersions(changelog: string): string[] {
  return [...changelog.matchAll(/^## (\d+\.\d+\.\d+\S*)\s*$/gm)].map((m) => m[1] as string)
}

describe('released versions', () => {
  for (const pkg of publicPackages()) {
    it(`${pkg.name}: CHANGELOG.md has release notes for ${pkg.manifest.version}`, () => {
      const path = join(pkg.dir, 'CHANGELOG.md')
      expect(existsSync(path), `${pkg.relDir}/CHANGELOG.md`).toBe(true)
      const changelog = readFileSync(path, 'utf8')
      expect(changelog.split('\n')[0]).toBe(`# ${pkg.name}`)
      expect(releasedVersions(changelog)[0], 'the newest entry is the manifest version').toBe(
        pkg.manifest.version,
      )
      // Release notes, not changesets' bookkeeping.
      expect(changelog).not.toMatch(/^- Updated dependencies$/m)
      const notes = changelog.slice(changelog.indexOf(`## ${pkg.manifest.version}`)).split(/^## /m)[1] ?? ''
      expect(notes.replace(/\s+/g, ' ').length, 'a few sentences for users').toBeGreaterThan(200)
    })
  }

  it('the airelays command is 1.x (it replaces the Python relay); the libraries say they are young (0.x)', () => {
    const versions = new Map(publicPackages().map((pkg) => [pkg.name, pkg.manifest.version]))
    expect(versions.get('airelays')).toMatch(/^1\./)
    for (const [name, version] of versions)
      if (name !== 'airelays') expect(version, name).toMatch(/^0\.[1-9]/)
  })
})

describe('pending changesets', () => {
  it('all parse (front matter intact), name real packages and carry a summary', () => {
    expect(invalid).toEqual([])
    const names = new Set(workspacePackages().map((pkg) => pkg.name))
    const unknown = changesets.flatMap((c) =>
      c.releases.filter((r) => !names.has(r.name)).map((r) => `${c.file}: ${r.name}`),
    )
    expect(unknown).toEqual([])
  })
})

if (changesetFiles.length === 0)
  console.warn('changesets: no pending changesets, so no dry `changeset version` run')

describe.skipIf(skip || changesetFiles.length === 0)('`changeset version` in a throwaway copy', () => {
  let work: string

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'airelays-changesets-'))
    for (const file of ['package.json', 'pnpm-workspace.yaml'])
      await copyFile(join(repoRoot, file), join(work, file))
    await cp(CHANGESET_DIR, join(work, '.changeset'), { recursive: true })
    for (const pkg of workspacePackages()) {
      await mkdir(join(work, pkg.relDir), { recursive: true })
      await copyFile(join(pkg.dir, 'package.json'), join(work, pkg.relDir, 'package.json'))
      if (existsSync(join(pkg.dir, 'CHANGELOG.md')))
        await copyFile(join(pkg.dir, 'CHANGELOG.md'), join(work, pkg.relDir, 'CHANGELOG.md'))
    }
    // The changelog generator (@changesets/cli/changelog) resolves from the copy's node_modules.
    await symlink(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir')
    await run('git', ['init', '--quiet', '--initial-branch=main'], { cwd: work })
    await run(join(repoRoot, 'node_modules/.bin/changeset'), ['version'], {
      cwd: work,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      timeout: 120_000,
    })
  }, 180_000)

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('bumps each public package as its changesets say and writes their text to CHANGELOG.md', async () => {
    expect(invalid, 'fix the invalid changesets first').toEqual([])
    const bumps = expectedBumps(changesets)
    for (const pkg of publicPackages()) {
      const bump = bumps.get(pkg.name) as Bump | undefined
      const manifest = JSON.parse(await readFile(join(work, pkg.relDir, 'package.json'), 'utf8')) as {
        version: string
        dependencies?: Record<string, string>
      }
      if (!bump) continue
      const expected = bumpVersion(pkg.manifest.version, bump)
      expect(manifest.version, pkg.name).toBe(expected)
      expect(JSON.stringify(manifest.dependencies ?? {}), pkg.name).not.toMatch(/"workspace:(?!\*|\^|~)/)

      const changelog = await readFile(join(work, pkg.relDir, 'CHANGELOG.md'), 'utf8')
      expect(changelog, pkg.name).toContain(`## ${expected}`)
      expect(changelog, pkg.name).toContain(`### ${bump[0]?.toUpperCase()}${bump.slice(1)} Changes`)
      for (const changeset of changesets.filter((c) => c.releases.some((r) => r.name === pkg.name))) {
        const firstLine = changeset.summary.split('\n')[0]?.trim() as string
        expect(changelog, `${pkg.name}: ${changeset.file}`).toContain(firstLine)
      }
    }
  })

  it('consumes every changeset', async () => {
    const left = (await readdir(join(work, '.changeset'))).filter(
      (name) => name.endsWith('.md') && name !== 'README.md',
    )
    expect(left).toEqual([])
  })
})

describe('the changeset parser', () => {
  it('reads front matter and summary', () => {
    expect(parseChangeset('a.md', '---\n"@x/y": minor\n"z": patch\n---\n\nNew thing.\n')).toEqual({
      file: 'a.md',
      releases: [
        { name: '@x/y', bump: 'minor' },
        { name: 'z', bump: 'patch' },
      ],
      summary: 'New thing.',
    })
  })

  it('rejects a front matter a Markdown formatter turned into a heading', () => {
    expect(parseChangeset('b.md', '---\n\n## "@x/y": minor\n\nNew thing.\n')).toMatch(/^b\.md: /)
  })

  it('bumps versions like changesets', () => {
    expect(bumpVersion('0.0.0', 'minor')).toBe('0.1.0')
    expect(bumpVersion('0.1.0', 'patch')).toBe('0.1.1')
    expect(bumpVersion('0.1.3', 'major')).toBe('1.0.0')
    expect(
      expectedBumps([
        {
          file: 'a',
          releases: [
            { name: 'p', bump: 'patch' },
            { name: 'p', bump: 'minor' },
          ],
          summary: 's',
        },
      ]),
    ).toEqual(new Map([['p', 'minor']]))
  })
})

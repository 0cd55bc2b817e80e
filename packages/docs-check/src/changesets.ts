/** The bump levels of a changeset, lowest first. */
export const BUMPS: readonly ['patch', 'minor', 'major'] = ['patch', 'minor', 'major']

/** One of {@link BUMPS}. */
export type Bump = (typeof BUMPS)[number]

/** A parsed `.changeset/*.md` file. */
export interface Changeset {
  file: string
  releases: { name: string; bump: Bump }[]
  summary: string
}

/**
 * Parses a changeset: YAML front matter of `"name": bump` lines between `---` fences, then the
 * summary. Returns an error string instead when the file is not a valid changeset (a Markdown
 * formatter rewriting the front matter is the usual cause).
 */
export function parseChangeset(file: string, text: string): Changeset | string {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/.exec(text)
  if (!match) return `${file}: no front matter (\`---\` / \`"package": bump\` / \`---\`) at the top`
  const releases: Changeset['releases'] = []
  for (const raw of (match[1] as string).split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '') continue
    const release = /^["']?(@?[\w./-]+)["']?\s*:\s*(patch|minor|major)$/.exec(line)
    if (!release) return `${file}: front-matter line is not \`"package": patch|minor|major\`: ${line}`
    releases.push({ name: release[1] as string, bump: release[2] as Bump })
  }
  if (releases.length === 0) return `${file}: names no package`
  const summary = (match[2] as string).trim()
  if (summary === '') return `${file}: has no summary for users`
  return { file, releases, summary }
}

/** The highest bump each package gets from `changesets`. */
export function expectedBumps(changesets: readonly Changeset[]): Map<string, Bump> {
  const out = new Map<string, Bump>()
  for (const changeset of changesets) {
    for (const { name, bump } of changeset.releases) {
      const current = out.get(name)
      if (!current || BUMPS.indexOf(bump) > BUMPS.indexOf(current)) out.set(name, bump)
    }
  }
  return out
}

/** `version` bumped by `bump` the way changesets does it (semver, pre-releases not supported). */
export function bumpVersion(version: string, bump: Bump): string {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  if (!match) throw new Error(`Unsupported version ${version}`)
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (bump === 'major') return `${major + 1}.0.0`
  if (bump === 'minor') return `${major}.${minor + 1}.0`
  return `${major}.${minor}.${patch + 1}`
}

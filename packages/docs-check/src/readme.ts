import { codeBlocks, headings, withoutCodeBlocks } from './markdown'

/** Names exported by a barrel `src/index.ts` (`export { a, b as c } from …`, `export type { T } …`, declarations). */
export function barrelExports(source: string): string[] {
  const names = new Set<string>()
  for (const match of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        ?.trim()
      if (name) names.add(name)
    }
  }
  for (const match of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g,
  ))
    names.add(match[1] as string)
  return [...names].sort()
}

/** What the README of a public package must have. */
export interface ReadmeRequirements {
  /** The npm name, e.g. `@airelays/config`. */
  name: string
  /** Names exported by the package's `src/index.ts`. */
  exports: readonly string[]
}

/** Checks a package README; returns one line per missing part (empty when complete). */
export function readmeGaps(readme: string, req: ReadmeRequirements): string[] {
  const gaps: string[] = []
  const lines = readme.split('\n')
  const title = headings(readme)[0]
  if (title?.level !== 1) gaps.push('no `# ` title')

  // Purpose: prose right under the title, before the first section and any code.
  const afterTitle = title ? lines.slice(title.line) : lines
  const firstSection = afterTitle.findIndex((line) => /^#{1,6}\s/.test(line) || /^\s*(```|~~~)/.test(line))
  const purpose = (firstSection < 0 ? afterTitle : afterTitle.slice(0, firstSection)).join(' ').trim()
  if (purpose.replace(/\s+/g, ' ').length < 60)
    gaps.push('no purpose paragraph under the title (what the package is for)')

  // Install: a `## Install` section with an install command for this package.
  const install = section(readme, /^install\b/i)
  if (install === null) gaps.push('no `## Install` section')
  else {
    const escaped = req.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    const command = new RegExp(
      `(npm (install|i)|pnpm (add|install)|yarn add|npx)[^\\n]*\\s${escaped}(@|\\s|$)`,
      'm',
    )
    if (!codeBlocks(install).some((block) => command.test(block.body)))
      gaps.push(`\`## Install\` has no code block installing \`${req.name}\``)
  }

  // Example: a JS/TS code block that imports the package by name.
  const importPattern = new RegExp(
    `(from\\s+|import\\(\\s*)['"]${req.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"]`,
  )
  const jsBlocks = codeBlocks(readme).filter((block) =>
    ['ts', 'js', 'mjs', 'typescript', 'javascript', 'tsx'].includes(block.lang),
  )
  if (!jsBlocks.some((block) => importPattern.test(block.body)))
    gaps.push(`no \`ts\`/\`js\` example block that imports from '${req.name}'`)

  // API: every export of src/index.ts is named somewhere in the README.
  const text = `${withoutCodeBlocks(readme)}\n${codeBlocks(readme)
    .map((block) => block.body)
    .join('\n')}`
  const unnamed = req.exports.filter((name) => !new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(text))
  if (unnamed.length > 0) gaps.push(`exports not documented: ${unnamed.join(', ')}`)
  return gaps
}

/** The text of the first `##` section whose title matches `title`, or null. */
export function section(markdown: string, title: RegExp): string | null {
  const all = headings(markdown)
  const index = all.findIndex((heading) => heading.level === 2 && title.test(heading.text))
  if (index < 0) return null
  const start = all[index] as { line: number }
  const next = all.slice(index + 1).find((heading) => heading.level <= 2)
  const lines = markdown.split('\n')
  return lines.slice(start.line, next ? next.line - 1 : lines.length).join('\n')
}

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { headings } from './markdown'
import { repoRoot } from './workspace'

/** An error message quoted in a heading of a document. */
export interface QuotedMessage {
  /** The text between the double quotes; `…` marks a part that varies. */
  message: string
  /** 1-based line of the heading. */
  line: number
}

/**
 * Every double-quoted string in the `##`–`######` headings of `markdown`: the troubleshooting page
 * names each error as `### <status> "<message>"`.
 */
export function quotedMessages(markdown: string): QuotedMessage[] {
  const out: QuotedMessage[] = []
  for (const heading of headings(markdown)) {
    if (heading.level < 2) continue
    for (const match of heading.text.matchAll(/"([^"]+)"/g)) {
      out.push({ message: match[1] as string, line: heading.line })
    }
  }
  return out
}

/**
 * A regular expression for a documented message: literal text, where each `…` stands for up to 200
 * characters of anything (a template expression like `${limit}` in the source, or a value).
 */
export function messagePattern(message: string): RegExp {
  const parts = message.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(parts.join('[\\s\\S]{0,200}?'))
}

/** Source folders whose strings the relay and the CLI can show to a user. */
export const MESSAGE_SOURCE_DIRS: readonly string[] = [
  'apps/server/src',
  'apps/cli/src',
  'packages/config/src',
  'packages/auth-store/src',
  'packages/ratelimit/src',
  'packages/upstream-client/src',
  'packages/file-inliner/src',
  'packages/translate/src',
]

/** One source file, its text normalised for message matching. */
export interface SourceText {
  /** Path relative to the repository root. */
  file: string
  /** The text with escaped backticks (`\``) unescaped, as they appear in the message. */
  text: string
}

/** The non-test TypeScript sources of {@link MESSAGE_SOURCE_DIRS}. */
export function messageSources(dirs: readonly string[] = MESSAGE_SOURCE_DIRS): SourceText[] {
  const out: SourceText[] = []
  for (const dir of dirs) {
    const base = join(repoRoot, dir)
    let entries: string[]
    try {
      entries = readdirSync(base, { recursive: true }) as string[]
    } catch {
      continue
    }
    for (const entry of entries.sort()) {
      if (!entry.endsWith('.ts') || entry.endsWith('.test.ts') || entry.endsWith('.d.ts')) continue
      if (entry.split(/[\\/]/).some((part) => part.startsWith('__'))) continue
      const path = join(base, entry)
      out.push({ file: relative(repoRoot, path), text: readFileSync(path, 'utf8').replaceAll('\\`', '`') })
    }
  }
  return out
}

/** The files whose text contains `message` (with `…` as a wildcard). */
export function filesContaining(message: string, sources: readonly SourceText[]): string[] {
  const pattern = messagePattern(message)
  return sources.filter((source) => pattern.test(source.text)).map((source) => source.file)
}

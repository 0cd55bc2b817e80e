// Example files quoted in Markdown. A code block right after `<!-- example: <path> -->` must be the
// file at <path> (relative to the Markdown file) verbatim, so the quoted code is the tested code.
import { codeBlocks } from './markdown'

/** One `<!-- example: path -->` marker and the code block that follows it. */
export interface QuotedExample {
  /** The path written in the marker (relative to the Markdown file). */
  path: string
  /** 1-based line of the marker. */
  line: number
  /** The block's text, or `null` when no code block follows the marker. */
  body: string | null
}

const MARKER = /^<!--\s*example:\s*(\S+)\s*-->\s*$/

/** Every example marker of a Markdown document with the code block that follows it. */
export function quotedExamples(markdown: string): QuotedExample[] {
  const lines = markdown.split('\n')
  const blocks = codeBlocks(markdown)
  const out: QuotedExample[] = []
  lines.forEach((text, index) => {
    const match = MARKER.exec(text.trim())
    if (!match) return
    const line = index + 1
    // The block must open on the next non-blank line.
    let next = index + 1
    while (next < lines.length && (lines[next] as string).trim() === '') next++
    const block = blocks.find((b) => b.line === next + 1)
    out.push({ path: match[1] as string, line, body: block ? block.body : null })
  })
  return out
}

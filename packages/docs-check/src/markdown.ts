/** A fenced code block of a Markdown document. */
export interface CodeBlock {
  /** The info string's first word (`sh`, `ts`, `toml`…), or `''`. */
  lang: string
  /** The block's text, without the fences. */
  body: string
  /** 1-based line of the opening fence. */
  line: number
}

/** One heading of a Markdown document. */
export interface Heading {
  level: number
  text: string
  line: number
}

const FENCE = /^(\s{0,3})(`{3,}|~{3,})\s*([^\s`]*)/

/** A closing fence: the same character, at least as long as the opening one, nothing else. */
function closesFence(line: string, fence: string): boolean {
  const text = line.trim()
  return /^(`{3,}|~{3,})$/.test(text) && text[0] === fence[0] && text.length >= fence.length
}

/** Every fenced code block, in document order. An unclosed fence runs to the end of the document. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  let open: { fence: string; lang: string; line: number; body: string[] } | null = null
  lines.forEach((text, index) => {
    if (open) {
      if (closesFence(text, open.fence)) {
        blocks.push({ lang: open.lang, body: open.body.join('\n'), line: open.line })
        open = null
      } else open.body.push(text)
      return
    }
    const match = FENCE.exec(text)
    if (match)
      open = { fence: match[2] as string, lang: (match[3] ?? '').toLowerCase(), line: index + 1, body: [] }
  })
  if (open) {
    const last = open as { lang: string; line: number; body: string[] }
    blocks.push({ lang: last.lang, body: last.body.join('\n'), line: last.line })
  }
  return blocks
}

/** The document with every fenced code block replaced by empty lines (line numbers are kept). */
export function withoutCodeBlocks(markdown: string): string {
  const lines = markdown.split('\n')
  let fence: string | null = null
  return lines
    .map((text) => {
      if (fence) {
        if (closesFence(text, fence)) fence = null
        return ''
      }
      const match = FENCE.exec(text)
      if (match) {
        fence = match[2] as string
        return ''
      }
      return text
    })
    .join('\n')
}

/** Every inline code span outside code blocks (backtick-delimited, any run length), unwrapped. */
export function inlineCodeSpans(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown)
  const spans: string[] = []
  const pattern = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g
  for (const match of prose.matchAll(pattern)) {
    let text = match[2] as string
    // CommonMark: one leading and trailing space is stripped when both are present.
    if (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') text = text.slice(1, -1)
    spans.push(text)
  }
  return spans
}

/** Every ATX heading (`#`…`######`) outside code blocks. */
export function headings(markdown: string): Heading[] {
  const out: Heading[] = []
  withoutCodeBlocks(markdown)
    .split('\n')
    .forEach((text, index) => {
      const match = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(text)
      if (match) out.push({ level: (match[1] as string).length, text: match[2] as string, line: index + 1 })
    })
  return out
}

/** Markers of a generated region: `<!-- <name>:start … -->` … `<!-- <name>:end -->`. */
export interface GeneratedRegion {
  /** Offset of the first character after the start marker's line. */
  bodyStart: number
  /** Offset of the end marker. */
  bodyEnd: number
  /** The text between the markers. */
  body: string
}

/** Find the region between `<!-- <name>:start… -->` and `<!-- <name>:end -->`, or null. */
export function generatedRegion(markdown: string, name: string): GeneratedRegion | null {
  const start = new RegExp(`<!-- ${name}:start[^>]*-->\\n`).exec(markdown)
  if (!start) return null
  const bodyStart = start.index + start[0].length
  const bodyEnd = markdown.indexOf(`<!-- ${name}:end -->`, bodyStart)
  if (bodyEnd < 0) return null
  return { bodyStart, bodyEnd, body: markdown.slice(bodyStart, bodyEnd) }
}

/**
 * Markdown tables compared cell by cell: a formatter may pad columns or change the delimiter row.
 * Trailing whitespace is ignored everywhere.
 */
export function normalizeTables(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      if (!line.startsWith('|')) return line.trimEnd()
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim())
        .map((cell) => (/^:?-+:?$/.test(cell) ? '---' : cell))
      return `| ${cells.join(' | ')} |`
    })
    .join('\n')
    .trim()
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a dash. */
export function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-')
}

/**
 * The text under the first heading whose text matches `title`, up to the next heading of the same
 * or a higher level; null when there is no such heading.
 */
export function sectionUnder(markdown: string, title: RegExp): string | null {
  const all = headings(markdown)
  const index = all.findIndex((heading) => title.test(heading.text))
  if (index < 0) return null
  const start = all[index] as Heading
  const next = all.slice(index + 1).find((heading) => heading.level <= start.level)
  const lines = markdown.split('\n')
  return lines.slice(start.line, next ? next.line - 1 : lines.length).join('\n')
}

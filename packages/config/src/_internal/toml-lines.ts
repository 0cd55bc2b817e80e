/**
 * Line numbers of the tables and keys of a TOML document, for issue locations. smol-toml returns
 * plain values without positions, so this scanner walks the text once: table headers, dotted keys,
 * and values (strings of all four kinds, multi-line arrays and inline tables) skipped precisely
 * enough that a line counted inside a value is never mistaken for a key. It only runs on text
 * smol-toml has already accepted, so it does not validate anything itself.
 */
export interface KeyLines {
  /** The 1-based line defining `parts`, else the line of its closest defined ancestor, else null. */
  lineOf(parts: readonly string[]): number | null
}

/** One `key = value` statement of a TOML document, with offsets for editing it in place. */
export interface TomlEntry {
  /** The table header in force (`[]` at the top level). */
  table: string[]
  /** The key as written, dotted parts split. */
  key: string[]
  /** Offset of the first character of the value. */
  valueStart: number
  /** Offset just past the value (before trailing spaces and a comment). */
  valueEnd: number
  /** Offset of the end of the statement's last line (before `\r\n` / `\n`, or the text's end). */
  lineEnd: number
}

/** One `[table]` header, with the end of its line. */
export interface TomlTable {
  table: string[]
  lineEnd: number
}

/** The layout of a TOML document: its statements and table headers in order. */
export interface TomlLayout {
  entries: TomlEntry[]
  tables: TomlTable[]
}

const BARE_KEY = /[A-Za-z0-9_-]/
const SEP = '\u0000'

export function scanKeyLines(text: string): KeyLines {
  const lines = scanToml(text).lines
  return {
    lineOf(parts: readonly string[]): number | null {
      for (let k = parts.length; k > 0; k--) {
        const found = lines.get(parts.slice(0, k).join(SEP))
        if (found !== undefined) return found
      }
      return null
    },
  }
}

/** Statements and table headers of a TOML document (for `updateConfig`'s in-place edits). */
export function scanTomlLayout(text: string): TomlLayout {
  const { entries, tables } = scanToml(text)
  return { entries, tables }
}

function scanToml(text: string): TomlLayout & { lines: Map<string, number> } {
  const lines = new Map<string, number>()
  const entries: TomlEntry[] = []
  const tables: TomlTable[] = []
  const n = text.length
  let i = 0
  let line = 1

  const record = (parts: readonly string[]): void => {
    for (let k = 1; k <= parts.length; k++) {
      const id = parts.slice(0, k).join(SEP)
      if (!lines.has(id)) lines.set(id, line)
    }
  }
  const skipSpaces = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
  }
  const skipToEol = (): void => {
    while (i < n && text[i] !== '\n') i++
  }

  const skipString = (): void => {
    const quote = text[i] as string
    const triple = quote.repeat(3)
    if (text.startsWith(triple, i)) {
      i += 3
      while (i < n) {
        if (quote === '"' && text[i] === '\\') {
          if (text[i + 1] === '\n') line++
          i += 2
          continue
        }
        if (text.startsWith(triple, i)) {
          i += 3
          // Up to two quotes may directly precede the closing delimiter.
          for (let extra = 0; extra < 2 && text[i] === quote; extra++) i++
          return
        }
        if (text[i] === '\n') line++
        i++
      }
      return
    }
    i++
    while (i < n && text[i] !== quote && text[i] !== '\n') {
      if (quote === '"' && text[i] === '\\') i++
      i++
    }
    if (text[i] === quote) i++
  }

  const readQuotedKey = (): string => {
    const quote = text[i]
    const start = i
    skipString()
    const raw = text.slice(start, i)
    if (quote === "'") return raw.slice(1, -1)
    try {
      return JSON.parse(raw) as string
    } catch {
      return raw.slice(1, -1)
    }
  }

  const readKey = (): string[] => {
    const parts: string[] = []
    for (;;) {
      skipSpaces()
      const c = text[i]
      if (c === '"' || c === "'") {
        parts.push(readQuotedKey())
      } else {
        const start = i
        while (i < n && BARE_KEY.test(text[i] as string)) i++
        if (i === start) return parts
        parts.push(text.slice(start, i))
      }
      skipSpaces()
      if (text[i] !== '.') return parts
      i++
    }
  }

  /** Skips a value; returns the offset just past its last significant character. */
  const skipValue = (): number => {
    let depth = 0
    let end = i
    while (i < n) {
      const c = text[i]
      if (c === '\n') {
        if (depth <= 0) return end
        line++
        i++
      } else if (c === '#') {
        skipToEol()
      } else if (c === '"' || c === "'") {
        skipString()
        end = i
      } else {
        if (c === '[' || c === '{') depth++
        else if (c === ']' || c === '}') depth--
        i++
        if (c !== ' ' && c !== '\t' && c !== '\r') end = i
      }
    }
    return end
  }
  const lineEnd = (): number => (i > 0 && text[i - 1] === '\r' ? i - 1 : i)

  let table: string[] = []
  while (i < n) {
    skipSpaces()
    const c = text[i]
    if (c === '\n') {
      line++
      i++
    } else if (c === '\r' || c === '\uFEFF') {
      i++
    } else if (c === '#') {
      skipToEol()
    } else if (c === '[') {
      i += text[i + 1] === '[' ? 2 : 1
      table = readKey()
      record(table)
      skipToEol()
      tables.push({ table, lineEnd: lineEnd() })
    } else {
      const parts = readKey()
      if (parts.length === 0) {
        skipToEol()
        continue
      }
      record([...table, ...parts])
      skipSpaces()
      if (text[i] === '=') i++
      skipSpaces()
      const valueStart = i
      const valueEnd = skipValue()
      entries.push({ table, key: parts, valueStart, valueEnd, lineEnd: lineEnd() })
    }
  }
  return { lines, entries, tables }
}

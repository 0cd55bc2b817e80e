import { describe, expect, it } from 'vitest'
import { escapedJsonPieces, JSON_PIECE_CHARS, type JsonReplacer, jsonPieces } from './json-pieces'

/** `n` UTF-16 units of text that JSON escapes here and there, with surrogate pairs throughout. */
function mixed(n: number): string {
  const atoms = ['words ', 'quote " back \\ ', 'line\n\t', '\u0001', '😀', '\u2028', 'é ', '\ud800']
  let out = ''
  for (let i = 0; out.length < n; i++) out += atoms[i % atoms.length]
  return out.slice(0, n)
}

const joined = (value: unknown, replacer?: JsonReplacer): string | undefined =>
  jsonPieces(value, replacer)?.join('')

describe('jsonPieces', () => {
  it('joins to JSON.stringify, long strings included, and keeps every piece short', () => {
    const values: unknown[] = [
      null,
      'short',
      mixed(300_000),
      { a: [mixed(70_000), 1, true, null, { b: mixed(65_536) }], c: 'x'.repeat(100_000), d: undefined },
      [{ type: 'text', text: mixed(1_000_000) }, { toJSON: () => mixed(80_000) }],
    ]
    for (const value of values) {
      expect(joined(value)).toBe(JSON.stringify(value))
      for (const piece of jsonPieces(value) ?? []) expect(piece.length).toBeLessThan(6 * JSON_PIECE_CHARS)
    }
    expect(jsonPieces(undefined)).toBeUndefined()
  })

  it('applies the replacer exactly as JSON.stringify does, before a long string is set aside', () => {
    const replacer: JsonReplacer = function (this: unknown, key, value) {
      if (key === 'secret') return '[REDACTED]'
      if (key === 'drop') return undefined
      return typeof value === 'string' ? value.replaceAll('sk-123456', '[REDACTED]') : value
    }
    const value = {
      secret: 'x'.repeat(90_000),
      drop: mixed(90_000),
      text: `${'a'.repeat(70_000)}sk-123456${'b'.repeat(10)}`,
      list: [mixed(66_000), 'sk-123456'],
    }
    expect(joined(value, replacer)).toBe(JSON.stringify(value, replacer))
    expect(joined(value, replacer)).not.toContain('sk-123456')
  })

  it('a string that looks like a placeholder stays itself', () => {
    const fake = `\u0000${'0'.repeat(16)}:0`
    const value = [fake, 'y'.repeat(80_000), `${fake}"`]
    expect(joined(value)).toBe(JSON.stringify(value))
  })
})

describe('escapedJsonPieces', () => {
  it('the last long string is remembered by content: same text, same pieces; another, its own', () => {
    const a = mixed(100_000)
    const b = `${a.slice(0, -1)}"`
    const again = `${a.slice(0, 50_000)}${a.slice(50_000)}`
    for (const text of [a, a, again, b, a, 'short']) {
      expect(escapedJsonPieces(text).join('')).toBe(JSON.stringify(text).slice(1, -1))
    }
  })

  it('never ends a piece inside a surrogate pair', () => {
    for (const offset of [JSON_PIECE_CHARS - 1, JSON_PIECE_CHARS - 2, JSON_PIECE_CHARS]) {
      const text = `${'a'.repeat(offset)}${'😀'.repeat(20_000)}`
      expect(escapedJsonPieces(text).join('')).toBe(JSON.stringify(text).slice(1, -1))
    }
  })
})

import { describe, expect, it } from 'vitest'
import { derivedSessionId, jsonSha256Hex, randomHex, sha256Hex } from './util'

/** `n` UTF-16 units of text that JSON escapes here and there, with surrogate pairs throughout. */
function mixed(n: number): string {
  const atoms = ['words ', 'quote " back \\ ', 'line\n\t', '\u0001', '😀', '\u2028', 'é ', '\ud800']
  let out = ''
  for (let i = 0; out.length < n; i++) out += atoms[i % atoms.length]
  return out.slice(0, n)
}

describe('jsonSha256Hex', () => {
  it('is the SHA-256 of JSON.stringify, small and large strings alike', () => {
    const values: unknown[] = [
      ['', null],
      ['instructions', 'hello'],
      ['', mixed(200_000)],
      { a: [mixed(70_000), 1, true, null, { b: mixed(65_536) }], c: 'x'.repeat(100_000) },
      ['', [{ type: 'text', text: mixed(1_000_000) }]],
    ]
    for (const value of values) expect(jsonSha256Hex(value)).toBe(sha256Hex(JSON.stringify(value)))
  })

  it('never splits a surrogate pair at a piece boundary', () => {
    // A pair straddling every 16 Ki boundary: split, each half would be escaped as \\udxxx.
    for (const offset of [16 * 1024 - 1, 16 * 1024 - 2, 16 * 1024]) {
      const text = `${'a'.repeat(offset)}${'😀'.repeat(40_000)}`
      expect(jsonSha256Hex([text])).toBe(sha256Hex(JSON.stringify([text])))
    }
  })

  it('a string that looks like a placeholder is hashed as itself', () => {
    const fake = `\u0000${'0'.repeat(16)}:0`
    const value = [fake, 'y'.repeat(80_000), fake]
    expect(jsonSha256Hex(value)).toBe(sha256Hex(JSON.stringify(value)))
  })
})

describe('derivedSessionId', () => {
  it('keeps its digest: the same id for the same instructions and first message', () => {
    const content = mixed(300_000)
    const expected = `airelays-${sha256Hex(JSON.stringify(['be brief', content])).slice(0, 32)}`
    expect(derivedSessionId('be brief', content)).toBe(expected)
    expect(derivedSessionId('', undefined)).toBe(`airelays-${sha256Hex('["",null]').slice(0, 32)}`)
  })
})

describe('randomHex', () => {
  it('gives ids of the asked length, never the same one, across refills of its block', () => {
    const seen = new Set<string>()
    // 24 hex digits take 12 bytes: 1,000 ids use several 2,048-byte blocks.
    for (let i = 0; i < 1000; i++) {
      const id = randomHex(24)
      expect(id).toMatch(/^[0-9a-f]{24}$/)
      seen.add(id)
    }
    expect(seen.size).toBe(1000)
    expect(randomHex(7)).toMatch(/^[0-9a-f]{7}$/)
    expect(randomHex(5000)).toMatch(/^[0-9a-f]{5000}$/)
  })
})

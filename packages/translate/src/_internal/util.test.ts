import { describe, expect, it } from 'vitest'
import { randomHex } from './util'

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

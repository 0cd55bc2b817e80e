// The bearer comparison is constant-time by construction: every presented value — missing, wrong
// length, wrong first byte, wrong last byte, right — is hashed to a 32-byte SHA-256 digest and
// compared with `timingSafeEqual`, and which steps run never depends on the value. These checks
// replace a statistical timing test (B11 A3); the timing figure itself is in `pnpm bench`.
import { createHash, timingSafeEqual } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bearerFromHeader, type TokenCompareSteps, tokensMatch } from '../src/security/bearer'

const TOKEN = `air_${'k'.repeat(40)}`

function flip(token: string, index: number): string {
  const c = token.charCodeAt(index)
  return token.slice(0, index) + String.fromCharCode(c === 0x61 ? 0x62 : 0x61) + token.slice(index + 1)
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/** Steps that do the real work and write down each one, in order. */
function recordingSteps(): TokenCompareSteps & { trace: string[]; compared: [Buffer, Buffer][] } {
  const trace: string[] = []
  const compared: [Buffer, Buffer][] = []
  return {
    trace,
    compared,
    hash(value) {
      const d = sha256(value)
      trace.push(`hash:${d.length}`)
      return d
    },
    equal(a, b) {
      trace.push(`timingSafeEqual:${a.length}x${b.length}`)
      compared.push([a, b])
      return timingSafeEqual(a, b)
    },
  }
}

const PRESENTED: [string, string | null, boolean][] = [
  ['missing', null, false],
  ['empty', '', false],
  ['shorter', TOKEN.slice(0, 10), false],
  ['longer', `${TOKEN}x`, false],
  ['much longer', TOKEN.repeat(50), false],
  ['wrong first byte', flip(TOKEN, 0), false],
  ['wrong last byte', flip(TOKEN, TOKEN.length - 1), false],
  ['right', TOKEN, true],
]

describe('tokensMatch', () => {
  it.each(PRESENTED)('%s: answers by value equality', (_name, presented, matches) => {
    expect(tokensMatch(presented, TOKEN)).toBe(matches)
    expect(tokensMatch(presented, TOKEN, recordingSteps())).toBe(matches)
  })

  it('runs the same steps, in the same order, for every presented value (length and prefix do not change the path)', () => {
    const traces = PRESENTED.map(([, presented]) => {
      const steps = recordingSteps()
      tokensMatch(presented, TOKEN, steps)
      return steps.trace
    })
    const expected = ['hash:32', 'hash:32', 'timingSafeEqual:32x32']
    for (const trace of traces) expect(trace).toEqual(expected)
  })

  it('compares the digest of the presented value (the empty string when missing) with the digest of the token', () => {
    for (const [, presented] of PRESENTED) {
      const steps = recordingSteps()
      tokensMatch(presented, TOKEN, steps)
      expect(steps.compared).toHaveLength(1)
      const [a, b] = steps.compared[0] as [Buffer, Buffer]
      expect(a.equals(sha256(presented ?? ''))).toBe(true)
      expect(b.equals(sha256(TOKEN))).toBe(true)
    }
  })

  it('with no relay token set, still hashes and compares once, and matches nothing', () => {
    for (const [, presented] of PRESENTED) {
      const steps = recordingSteps()
      expect(tokensMatch(presented, null, steps)).toBe(false)
      expect(steps.trace).toEqual(['hash:32', 'timingSafeEqual:32x32'])
    }
    expect(tokensMatch(null, null)).toBe(false)
    expect(tokensMatch('', null)).toBe(false)
  })

  it('a missing token never matches, even an empty expected token', () => {
    expect(tokensMatch(null, '')).toBe(false)
    const steps = recordingSteps()
    expect(tokensMatch(null, '', steps)).toBe(false)
    expect(steps.trace).toEqual(['hash:32', 'hash:32', 'timingSafeEqual:32x32'])
  })

  it('the default steps keep answering right when the expected token changes (digest cache)', () => {
    const other = `air_${'z'.repeat(40)}`
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true)
    expect(tokensMatch(TOKEN, other)).toBe(false)
    expect(tokensMatch(other, other)).toBe(true)
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true)
  })
})

describe('bearerFromHeader', () => {
  it('reads only the Bearer scheme, case-insensitively, trimmed', () => {
    expect(bearerFromHeader(null)).toBeNull()
    expect(bearerFromHeader('')).toBeNull()
    expect(bearerFromHeader('Bearer')).toBeNull()
    expect(bearerFromHeader('Bearer    ')).toBeNull()
    expect(bearerFromHeader('Basic abc')).toBeNull()
    expect(bearerFromHeader(`Bearer ${TOKEN}`)).toBe(TOKEN)
    expect(bearerFromHeader(`  bEaReR   ${TOKEN}  `)).toBe(TOKEN)
  })
})

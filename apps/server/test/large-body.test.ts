// The large-body path (bench/findings.md, "A 1 MB request"): a body read in chunks is decoded chunk by
// chunk, and a large log record is built and written in pieces. Each must give exactly what the
// whole-string path gave.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BodySnapshot, type PendingRecord, recordLine, recordParts } from '../src/logging/record-line'
import { SecretSet } from '../src/logging/redact'
import { encodeLines, hourFilePath, TrafficLog } from '../src/logging/traffic-log'
import { decodeChunks, parseJsonObject } from '../src/request/body'

/** `n` UTF-16 units of text with multi-byte characters, quotes and newlines. */
function mixed(n: number): string {
  const atoms = ['words ', 'é ', '😀', '中文 ', 'quote " back \\ ', 'line\n']
  let out = ''
  for (let i = 0; out.length < n; i++) out += atoms[i % atoms.length]
  return out.slice(0, n)
}

/** `bytes` cut into chunks of `size` bytes (multi-byte characters split across chunks). */
function chunked(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

describe('decodeChunks', () => {
  it('gives the text of the whole buffer, whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(mixed(5_000)),
      Buffer.from([0xff]),
    ])
    const whole = new TextDecoder().decode(bytes)
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) expect(decodeChunks(chunked(bytes, size))).toBe(whole)
    expect(decodeChunks([])).toBe('')
    expect(decodeChunks(bytes)).toBe(whole)
  })

  it('a large body, ASCII (read as Latin-1) or not, gives the UTF-8 text', () => {
    const ascii = Buffer.from(`{"a":"${'plain \\"ascii\\" '.repeat(80_000)}"}`)
    const utf8 = Buffer.from(`{"a":"${'plain ascii '.repeat(80_000)}é"}`)
    for (const bytes of [ascii, utf8]) {
      const whole = new TextDecoder().decode(bytes)
      expect(decodeChunks(chunked(bytes, 65_536))).toBe(whole)
      expect(decodeChunks(bytes)).toBe(whole)
      expect(decodeChunks(bytes.subarray(0, 200_000))).toBe(
        new TextDecoder().decode(bytes.subarray(0, 200_000)),
      )
    }
  })

  it('parses a JSON body from its chunks as from one buffer', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: mixed(200_000) }] }
    const bytes = Buffer.from(JSON.stringify(body))
    expect(parseJsonObject(chunked(bytes, 65_536), false)).toEqual({ ok: true, value: body })
    expect(parseJsonObject([Buffer.from('  ')], true)).toEqual({ ok: true, value: {} })
    expect(parseJsonObject(chunked(Buffer.from('{"a":'), 2), false).ok).toBe(false)
  })
})

describe('encodeLines', () => {
  it('the bytes of the lines, each followed by a newline', () => {
    const lines = [['{"a":', mixed(100_000), '}'], ['{}'], [mixed(40_000), mixed(10)]]
    const expected = Buffer.from(lines.map((parts) => `${parts.join('')}\n`).join(''))
    expect(encodeLines(lines).equals(expected)).toBe(true)
    expect(encodeLines([]).length).toBe(0)
  })
})

describe('a large record through the traffic log', () => {
  it('is written in pieces, byte for byte the line the feed gets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airelays-large-'))
    try {
      const secrets = new SecretSet()
      secrets.add('sk-quoted-secret-0123456789')
      const body = {
        api_key: 'sk-raw',
        input: `${mixed(700_000)} sk-quoted-secret-0123456789 ${mixed(600_000)}`,
      }
      const bytes = Buffer.from(JSON.stringify(body))
      const record: PendingRecord = {
        at: Date.UTC(2026, 0, 1, 12),
        requestId: 'req_large',
        phase: 'inbound_request',
        fields: { body: new BodySnapshot(chunked(bytes, 65_536), 'application/json', body) },
      }
      const log = new TrafficLog({
        dir,
        retentionDays: 0,
        secrets,
        now: () => record.at,
        logger: { warn: () => {}, error: () => {} },
      })
      log.write(record.requestId, record.phase, record.fields)
      await log.close()
      const text = await readFile(hourFilePath(dir, record.at), 'utf8')
      const queued = { ...record, fields: record.fields }
      expect(text).toBe(`${recordLine(queued, secrets)}\n`)
      expect(recordParts(queued, secrets).length).toBeGreaterThan(1)
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024 * 1024 + 1)
      expect(text).not.toContain('sk-quoted-secret-0123456789')
      expect(text).not.toContain('sk-raw')
      expect(JSON.parse(text).body.truncated).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

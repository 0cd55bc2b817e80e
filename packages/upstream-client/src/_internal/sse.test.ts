import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SseMessage, SseParser, toResponsesEvent } from './sse'

function parseAll(chunks: Array<string | Uint8Array>): SseMessage[] {
  const parser = new SseParser()
  const out: SseMessage[] = []
  for (const chunk of chunks) out.push(...parser.push(chunk))
  out.push(...parser.end())
  return out
}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('SseParser', () => {
  it('reads event names and data with or without the space after the colon', () => {
    const messages = parseAll(['event: a\ndata: {"x":1}\n\nevent:b\ndata:{"x":2}\n\n'])
    expect(messages).toEqual([
      { event: 'a', data: '{"x":1}', id: undefined },
      { event: 'b', data: '{"x":2}', id: undefined },
    ])
  })

  it('strips only one leading space from values', () => {
    expect(parseAll(['data:  two spaces\n\n'])[0]?.data).toBe(' two spaces')
  })

  it('accepts LF, CRLF and CR line endings, also mixed in one stream', () => {
    const messages = parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\n'])
    expect(messages.map((m) => m.data)).toEqual(['a', 'b', 'c'])
  })

  it('handles a CRLF split between two chunks as one line break', () => {
    const messages = parseAll(['data: a\r', '\n\r', '\ndata: b\n\n'])
    expect(messages.map((m) => m.data)).toEqual(['a', 'b'])
  })

  it('does not swallow a real blank line after a chunk that ended in CR', () => {
    // "a\r" then "\n" (the CRLF pair), then "\n" is the blank line that dispatches.
    const messages = parseAll(['data: a\r', '\n', '\n', 'data: b\n\n'])
    expect(messages.map((m) => m.data)).toEqual(['a', 'b'])
  })

  it('joins multi-line data with \\n', () => {
    expect(parseAll(['data: line1\ndata: line2\ndata:\n\n'])[0]?.data).toBe('line1\nline2\n')
  })

  it('ignores comments, unknown fields and events without data', () => {
    const messages = parseAll([': keep-alive\nretry: 1000\nfoo: bar\nevent: only-name\n\n: c\ndata: x\n\n'])
    expect(messages).toEqual([{ event: 'message', data: 'x', id: undefined }])
  })

  it('decodes UTF-8 sequences split across chunks', () => {
    const bytes = enc('data: {"t":"€ 😀 ü"}\n\n')
    const euro = bytes.indexOf(0xe2)
    const parts = [bytes.slice(0, euro + 1), bytes.slice(euro + 1, euro + 2), bytes.slice(euro + 2)]
    const messages = parseAll(parts)
    expect(JSON.parse(messages[0]?.data ?? '')).toEqual({ t: '€ 😀 ü' })
  })

  it('dispatches a trailing event at end of input without a blank line', () => {
    const messages = parseAll(['data: first\n\ndata: {"type":"tail"}'])
    expect(messages.map((m) => m.data)).toEqual(['first', '{"type":"tail"}'])
  })

  it('remembers the last id', () => {
    expect(parseAll(['id: 7\ndata: x\n\n'])[0]?.id).toBe('7')
  })

  it('gives the same messages however the bytes are chunked', () => {
    const stream = enc(
      'event: response.created\r\ndata: {"type":"response.created","x":"é"}\r\n\r\n: ping\n' +
        'data: {"type":"response.output_text.delta",\ndata: "delta":"ß😀"}\n\nevent: x\rdata: 1\r\r' +
        'data: {"type":"response.completed"}',
    )
    const whole = parseAll([stream])
    expect(whole).toHaveLength(4)
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const sorted = [...cuts].sort((a, b) => a - b)
          const chunks: Uint8Array[] = []
          let at = 0
          for (const cut of sorted) {
            chunks.push(stream.slice(at, cut))
            at = cut
          }
          chunks.push(stream.slice(at))
          expect(parseAll(chunks)).toEqual(whole)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('toResponsesEvent', () => {
  it('types events by the JSON type', () => {
    expect(
      toResponsesEvent({ event: 'other', data: '{"type":"response.created","a":1}', id: undefined }),
    ).toEqual({
      type: 'response.created',
      a: 1,
    })
  })

  it('falls back to the SSE event name when the JSON has no type', () => {
    expect(
      toResponsesEvent({ event: 'response.output_text.delta', data: '{"delta":"x"}', id: undefined }),
    ).toEqual({
      type: 'response.output_text.delta',
      delta: 'x',
    })
  })

  it('skips non-JSON data, JSON that is not an object, and [DONE]', () => {
    for (const data of ['not json', '[DONE]', '[1,2]', '"str"', '{broken', '']) {
      expect(toResponsesEvent({ event: 'message', data, id: undefined })).toBeNull()
    }
  })
})

import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonRequestBody } from './json-body'
import { createNodeDispatcher, requestVia } from './node-transport'
import { undiciAgent } from './undici'

/** A body with a long prompt that JSON escapes here and there (quotes, newlines, emoji, é). */
function largeBody(chars: number): Record<string, unknown> {
  const atoms = ['words ', 'quote " back \\ ', 'line\n', '😀', 'é ']
  let text = ''
  for (let i = 0; text.length < chars; i++) text += atoms[i % atoms.length]
  return {
    model: 'gpt-5.5',
    input: [{ role: 'user', content: [{ type: 'input_text', text }] }],
    stream: true,
  }
}

describe('jsonRequestBody', () => {
  it('is the JSON text itself when the body holds no long string', () => {
    const body = { model: 'gpt-5.5', input: 'hello', stream: true }
    expect(jsonRequestBody(body)).toBe(JSON.stringify(body))
  })

  it("a long prompt: the JSON text's UTF-8 bytes, exactly", () => {
    for (const chars of [70_000, 1_000_000]) {
      const body = largeBody(chars)
      const sent = jsonRequestBody(body)
      expect(Buffer.isBuffer(sent)).toBe(true)
      expect((sent as Buffer).equals(Buffer.from(JSON.stringify(body)))).toBe(true)
    }
  })
})

describe('a large JSON body on the wire', () => {
  const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = []
  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (chunk: Buffer) => parts.push(chunk))
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(parts) })
      res.end('ok')
    })
  })
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/responses`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it.each([
    ['undici', () => new (undiciAgent())()],
    ['node:http', () => createNodeDispatcher()],
  ])('%s sends the JSON text bytes with a content-length, not chunked', async (_name, dispatcher) => {
    const body = largeBody(400_000)
    const sent = jsonRequestBody(body)
    const agent = dispatcher()
    const response = await requestVia(agent, url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sent,
      headersTimeout: 10_000,
    })
    for await (const _ of response.body as AsyncIterable<unknown>) {
      // read to the end
    }
    await agent.close()
    const last = seen.at(-1)
    const expected = Buffer.from(JSON.stringify(body))
    expect(last?.headers['content-length']).toBe(String(expected.length))
    expect(last?.headers['transfer-encoding']).toBeUndefined()
    expect(last?.body.equals(expected)).toBe(true)
  })
})

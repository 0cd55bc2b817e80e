// nodeSink (src/streaming/sse-stream.ts) against real sockets: the chunks it frames itself must
// read back as the same text, a full socket must make the writer wait for its `drain` (the
// response's own `drain` never fires for writes that bypass it), and an HTTP/1.0 client (no
// chunked encoding) must get the plain text.
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeSink, type SseSink } from '../src/streaming/sse-stream'

let server: Server | null = null
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = null
})

/** A server whose only handler sends the SSE head and hands a sink of its response to `use`. */
async function serve(use: (sink: SseSink, res: ServerResponse) => unknown): Promise<number> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.flushHeaders()
    void use(
      nodeSink(res)(() => {}),
      res,
    )
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

function getResponse(port: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) =>
    get({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject),
  )
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8')
  let text = ''
  for await (const chunk of res) text += chunk
  return text
}

describe('nodeSink', () => {
  it('frames each write as one chunk of the HTTP/1.1 answer, multi-byte text included', async () => {
    const frames = ['data: {"a":1}\n\n', 'data: {"text":"héllo ✓ 🙂"}\n\n', ': keep-alive\n\n']
    const port = await serve((sink) => {
      for (const frame of frames) sink.write(frame)
      setImmediate(() => {
        sink.write('data: [DONE]\n\n')
        sink.end()
      })
    })
    const res = await getResponse(port)
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(await readAll(res)).toBe(`${frames.join('')}data: [DONE]\n\n`)
  })

  it('waits for the socket to drain when it is full, then goes on', async () => {
    const piece = `data: ${'x'.repeat(64 * 1024)}\n\n`
    const pieces = 256 // 16 MB: more than the socket buffers hold while the client reads slowly
    let waits = 0
    const port = await serve(async (sink) => {
      for (let i = 0; i < pieces; i++) {
        if (sink.write(piece)) continue
        waits++
        await sink.ready()
      }
      sink.end()
    })
    const res = await getResponse(port)
    res.setEncoding('utf8')
    let length = 0
    let intact = true
    let turns = 0
    for await (const chunk of res as AsyncIterable<string>) {
      length += chunk.length
      intact &&= /^[data: x\n]*$/.test(chunk)
      // read slowly at first, so the writer finds the socket full
      if (turns++ < 20) await new Promise((r) => setTimeout(r, 5))
    }
    expect(waits).toBeGreaterThan(0)
    expect(intact).toBe(true)
    expect(length).toBe(piece.length * pieces)
  })

  it('leaves the framing to Node for an HTTP/1.0 client', async () => {
    const port = await serve((sink) => {
      sink.write('data: {"a":1}\n\n')
      sink.write('data: [DONE]\n\n')
      sink.end()
    })
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'),
      )
      let text = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => {
        text += chunk
      })
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    const [head, body] = raw.split('\r\n\r\n', 2) as [string, string]
    expect(head).toMatch(/^HTTP\/1\.1 200/)
    expect(head.toLowerCase()).not.toContain('transfer-encoding')
    expect(body).toBe('data: {"a":1}\n\ndata: [DONE]\n\n')
  })
})

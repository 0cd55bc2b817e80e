// serveRelay's request timers: a client that sends its request too slowly is cut with a 408
// envelope; a response that takes long (a stream) is not, because the timers cover receiving the
// request only.
import { connect } from 'node:net'
import { eventually } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { serveRelay } from '../src/index'
import { type RelayHarness, type RelayHarnessOptions, startRelay } from './_setup'

const harnesses: RelayHarness[] = []
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close()
})

// Deliberately small timers (the defaults are 300 s and 60 s).
const SHORT = { requestTimeoutMs: 400, headersTimeoutMs: 250 }

async function relay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const h = await startRelay({
    ...options,
    relay: { ...SHORT, keepAliveIntervalMs: 100, ...options.relay },
    env: { AIRELAYS_RATE_LIMIT_BURST: '1000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000', ...options.env },
  })
  harnesses.push(h)
  return h
}

/** Write `chunks` (each after `gapMs`) on a raw socket; resolve with all that came back once it closes. */
function rawExchange(
  baseUrl: string,
  chunks: string[],
  gapMs: number,
  maxMs = 8000,
): Promise<{ text: string; closed: boolean }> {
  const url = new URL(baseUrl)
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    let text = ''
    let done = false
    const timers: NodeJS.Timeout[] = []
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      for (const timer of timers) clearTimeout(timer)
      socket.destroy()
      resolve({ text, closed })
    }
    socket.setEncoding('utf8')
    socket.on('data', (data: string) => {
      text += data
    })
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
    chunks.forEach((chunk, i) => {
      timers.push(
        setTimeout(() => {
          if (!socket.destroyed) socket.write(chunk)
        }, i * gapMs),
      )
    })
    timers.push(setTimeout(() => finish(false), maxMs))
  })
}

async function activeRequests(h: RelayHarness): Promise<number> {
  const res = await h.fetch('/v1/relay/status')
  const body = (await res.json()) as { security: { client: { active_requests: number } } }
  return body.security.client.active_requests - 1 // minus the status request itself
}

function envelopeIn(text: string): Record<string, unknown> {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4)
  return (JSON.parse(body) as { error: Record<string, unknown> }).error
}

describe('requestTimeoutMs / headersTimeoutMs', () => {
  it('a body that stalls is cut with a 408 envelope; its slot is freed and nothing reaches upstream', async () => {
    const h = await relay()
    const head =
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\n` +
      `content-type: application/json\r\ncontent-length: 1000\r\n\r\n`
    // headers, then a little body, then nothing more (the socket stays open)
    const { text, closed } = await rawExchange(h.relay.url, [head, '{"model":"gpt-5.5","messages":['], 50)
    expect(closed).toBe(true)
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout')
    expect(text.toLowerCase()).toMatch(/x-request-id: req_[0-9a-f]{32}/)
    expect(envelopeIn(text)).toEqual({
      message: 'The request was not received in time.',
      type: 'invalid_request_error',
      param: null,
      code: 'request_timeout',
    })
    await eventually(async () => (await activeRequests(h)) === 0)
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(0)
    const record = await eventually(async () =>
      (await h.logRecords()).find((r) => r.phase === 'endpoint_rejected' && r.reason === 'request_timeout'),
    )
    expect(record?.status_code).toBe(408)
  })

  it('headers that never finish are cut with a 408 envelope', async () => {
    const h = await relay()
    const { text, closed } = await rawExchange(
      h.relay.url,
      ['GET /v1/models HTTP/1.1\r\n', 'host: 127.0.0.1\r\n', 'x-slow: 1\r\n'],
      50,
    )
    expect(closed).toBe(true)
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout')
    expect(envelopeIn(text).code).toBe('request_timeout')
  })

  it('a body sent in pieces within the limit is read normally', async () => {
    const h = await relay()
    const body = JSON.stringify({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Reply with exactly: ok' }],
    })
    const head =
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`
    const { text } = await rawExchange(h.relay.url, [head, body.slice(0, 20), body.slice(20)], 20) // 40 ms in all, a tenth of the limit
    expect(text.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 200\b/)
    expect(text).toContain('"content":"ok"')
  })

  it('a stream that lasts several times requestTimeoutMs completes', async () => {
    const h = await relay()
    h.emu.script({ kind: 'pace', events: 12, gapMs: 150 })
    const started = Date.now()
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: 'tell me something' }],
      }),
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    // The point: the stream outlived the request timer (by a wide margin) and still ended cleanly.
    expect(Date.now() - started).toBeGreaterThan(3 * SHORT.requestTimeoutMs)
    expect(text).toContain('data: [DONE]')
    expect(text).not.toContain('"error"')
  })

  it('a slow non-stream answer is not cut either', async () => {
    const h = await relay()
    h.emu.script({ kind: 'delay', ms: 1200 })
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'Reply with exactly: late' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('late')
  })

  it('defaults to 300 s for the request and 60 s for its headers; bad values are refused', async () => {
    const h = await startRelay()
    harnesses.push(h)
    expect(h.relay.server.requestTimeout).toBe(300_000)
    expect(h.relay.server.headersTimeout).toBe(60_000)
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      await expect(serveRelay({ config: h.config, port: 0, requestTimeoutMs: bad })).rejects.toThrow(
        /requestTimeoutMs/,
      )
      await expect(serveRelay({ config: h.config, port: 0, headersTimeoutMs: bad })).rejects.toThrow(
        /headersTimeoutMs/,
      )
    }
    // headersTimeout never exceeds requestTimeout (Node requires it)
    const capped = await serveRelay({ config: h.config, host: '127.0.0.1', port: 0, requestTimeoutMs: 1000 })
    try {
      expect(capped.server.requestTimeout).toBe(1000)
      expect(capped.server.headersTimeout).toBe(1000)
    } finally {
      await capped.close({ force: true })
    }
  })
})

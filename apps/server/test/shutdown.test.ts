import { connect } from 'node:net'
import { eventually } from '@airelays/test-utils'
import { describe, expect, it } from 'vitest'
import { serveRelay } from '../src/index'
import { type RelayHarness, relayPerTest } from './_setup'

const relay = relayPerTest()

function chat(r: RelayHarness, stream: boolean, text = 'Reply with exactly: ok'): Promise<Response> {
  return r.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', stream, messages: [{ role: 'user', content: text }] }),
  })
}

const LONG = `Reply with exactly: ${Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')}`

describe('graceful shutdown', () => {
  it('lets in-flight requests finish, then refuses new connections', async () => {
    const r = await relay({ relay: { shutdownGraceMs: 5000 } })
    r.emu.script({ kind: 'delay', ms: 400 }, { kind: 'delay', ms: 400 }, { kind: 'delay', ms: 400 })
    const pending = [chat(r, false), chat(r, false), chat(r, false)]
    await eventually(() => r.emu.requests.filter((req) => req.route === 'responses').length === 3)
    const closing = r.relay.close()
    const responses = await Promise.all(pending)
    expect(responses.map((res) => res.status)).toEqual([200, 200, 200])
    for (const res of responses)
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion')
    await closing
    await expect(fetch(`${r.relay.url}/healthz`)).rejects.toThrow()
    expect(r.emu.stats().aborted).toBe(0)
  })

  it('ends long streams at the deadline with an in-band error (no [DONE]) and aborts their upstream calls', async () => {
    const r = await relay({ relay: { shutdownGraceMs: 300 } })
    // Each stream would run 16 s (40 words, 400 ms apart); close() must end them at the 300 ms
    // deadline. The bound is the behaviour (a deadline firing), with a margin > 10× its typical value.
    const pace = { kind: 'pace' as const, gapMs: 400 }
    r.emu.script(pace, pace, pace)
    const streams = await Promise.all([chat(r, true, LONG), chat(r, true, LONG), chat(r, true, LONG)])
    const bodies = streams.map((res) => res.text())
    const started = Date.now()
    await r.relay.close()
    expect(Date.now() - started).toBeLessThan(300 + 5000)
    for (const text of await Promise.all(bodies)) {
      expect(text).not.toContain('[DONE]')
      const frames = text.split('\n\n').filter(Boolean)
      const last = JSON.parse((frames[frames.length - 1] ?? '').slice(6)) as { error: { code: string } }
      expect(last.error.code).toBe('server_shutting_down')
    }
    await eventually(() => r.emu.stats().aborted === 3)
    // the last line of the log is complete JSON
    const lines = await r.logLines()
    expect(() => JSON.parse(lines[lines.length - 1] ?? '')).not.toThrow()
  })

  it('a second close({ force }) or signal skips the grace period; signal listeners do not pile up', async () => {
    const before = process.listenerCount('SIGTERM')
    const r = await relay({ relay: { shutdownGraceMs: 60_000, handleSignals: true } })
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    r.emu.script({ kind: 'pace', gapMs: 100 })
    const stream = await chat(r, true, LONG)
    const body = stream.text()
    const started = Date.now()
    process.emit('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 100))
    process.emit('SIGTERM')
    await r.relay.close()
    // The grace period is 60 s: a bound of 5 s (> 10× the typical close) shows it was skipped.
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await body).not.toContain('[DONE]')
    expect(process.listenerCount('SIGTERM')).toBe(before)
    expect(process.listenerCount('SIGINT')).toBe(process.listenerCount('SIGINT'))
  })

  it('the port can be bound again right after close', async () => {
    const r = await relay()
    await (await chat(r, false)).text()
    const port = Number(new URL(r.relay.url).port)
    await r.relay.close()
    const again = await serveRelay({ config: r.config, host: '127.0.0.1', port })
    try {
      expect(again.url).toBe(r.relay.url)
      expect((await fetch(`${again.url}/healthz`)).status).toBe(200)
    } finally {
      await again.close()
    }
  })

  it('a kept-alive connection gets Connection: close on its in-flight response and is then closed', async () => {
    const r = await relay({ relay: { shutdownGraceMs: 3000 } })
    r.emu.script({ kind: 'delay', ms: 400 })
    const url = new URL(r.relay.url)
    const body = JSON.stringify({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Reply with exactly: first' }],
    })
    const requestText = (path: string, payload: string | null): string =>
      `${payload === null ? 'GET' : 'POST'} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${r.token}\r\n` +
      (payload === null
        ? '\r\n'
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`)
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    // two pipelined requests on one connection: the second is parsed only after the first answered
    socket.write(requestText('/v1/chat/completions', body) + requestText('/v1/models', null))
    await eventually(() => r.emu.requests.some((req) => req.route === 'responses'))
    const closing = r.relay.close()
    await ended
    await closing
    const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1])
    expect(statuses).toEqual(['200'])
    expect(received.toLowerCase()).toContain('connection: close')
  })
})

// B11 group D — graceful shutdown of a relay in its own process (SIGTERM, second signal, restart).
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { eventually, frameData, readSse, sleep } from '@airelays/test-utils'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  buildChild,
  canConnect,
  logLinesOf,
  post,
  removeChildBuild,
  startChild,
  stopChildren,
  upstream,
} from './_child-harness'
import { chatBody } from './_harness'

beforeAll(buildChild, 120_000)
afterAll(removeChildBuild)
afterEach(stopChildren)

describe('D — shutdown', () => {
  it('D1 SIGTERM with 10 in-flight non-stream requests: all complete, no new connections, exit 0', async () => {
    const e = await upstream()
    const child = await startChild()
    e.script(...Array.from({ length: 10 }, () => ({ kind: 'delay' as const, ms: 1200 })))
    const pending = Array.from({ length: 10 }, (_, i) =>
      post(child, chatBody(`Reply with exactly: done ${i}`)).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { choices?: { message: { content: string } }[] },
      })),
    )
    await eventually(() => e.stats().inFlight === 10, 5000, 10, '10 upstream calls in flight').catch(
      (error) => {
        throw new Error(`${(error as Error).message}; relay stderr: ${child.stderr()}`)
      },
    )
    child.proc.kill('SIGTERM')
    await sleep(150)
    expect(await canConnect(child.port)).toBe(false)
    const results = await Promise.all(pending)
    results.forEach((r, i) => {
      expect(r.status).toBe(200)
      expect(r.body.choices?.[0]?.message.content).toBe(`done ${i}`)
    })
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    for (const line of await logLinesOf(child)) JSON.parse(line)
  })

  it('D2 SIGTERM with 10 streams longer than the grace window: error event at the deadline, 10 upstream aborts, exit 0 in grace + 2 s', async () => {
    const e = await upstream()
    const graceMs = 1000
    const child = await startChild({ graceMs })
    e.script(...Array.from({ length: 10 }, () => ({ kind: 'pace' as const, events: 200, gapMs: 50 })))
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(child, chatBody('Tell me a long story.', { stream: true }))),
    )
    expect(
      responses.map((r) => r.status),
      child.stderr(),
    ).toEqual(new Array(10).fill(200))
    const reading = responses.map((r) => readSse(r.body as ReadableStream<Uint8Array>))
    await sleep(300)
    const signalledAt = Date.now()
    child.proc.kill('SIGTERM')
    const results = await Promise.all(reading)
    for (const { frames } of results) {
      expect(frames.some((f) => f.text.includes('[DONE]'))).toBe(false)
      const last = frames.at(-1) as { text: string; at: number }
      const data = frameData(last.text) as { error?: { code?: string; type?: string } } | null
      expect(data?.error?.code).toBe('server_shutting_down')
      // The grace deadline is the behaviour: never before it, and long before the 10 s streams
      // would have ended by themselves (the margin is over 10× the typical overshoot).
      expect(last.at - signalledAt).toBeGreaterThanOrEqual(graceMs - 50)
      expect(last.at - signalledAt).toBeLessThan(graceMs + 5000)
    }
    await eventually(
      () => e.requests.filter((r) => r.route === 'responses' && r.abortedAt).length === 10,
      10_000,
    )
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.at - signalledAt).toBeLessThan(graceMs + 8000)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    // B11 G6: the last line of the hour file is complete JSON.
    const lines = await logLinesOf(child)
    expect(lines.length).toBeGreaterThan(10)
    for (const line of lines) JSON.parse(line)
  })

  it('D3 a second signal forces the shutdown: streams ended at once, exit 0, no unhandled rejection', async () => {
    const e = await upstream()
    const child = await startChild({ graceMs: 30_000 })
    e.script(...Array.from({ length: 5 }, () => ({ kind: 'pace' as const, events: 400, gapMs: 50 })))
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post(child, chatBody('Tell me a long story.', { stream: true }))),
    )
    const reading = responses.map((r) => readSse(r.body as ReadableStream<Uint8Array>))
    await sleep(200)
    child.proc.kill('SIGTERM')
    await sleep(500)
    expect(child.proc.exitCode, child.stderr()).toBeNull()
    const forcedAt = Date.now()
    child.proc.kill('SIGTERM')
    const results = await Promise.all(reading)
    for (const { frames } of results) {
      const last = frames.at(-1) as { text: string; at: number }
      expect((frameData(last.text) as { error?: { code?: string } } | null)?.error?.code).toBe(
        'server_shutting_down',
      )
      // Skipping a 30 s grace period for 20 s streams: a 5 s bound is > 10× the typical value.
      expect(last.at - forcedAt).toBeLessThan(5000)
    }
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.at - forcedAt).toBeLessThan(8000)
    expect(child.stderr()).not.toMatch(/UNHANDLED|UNCAUGHT/)
    await eventually(
      () => e.requests.filter((r) => r.route === 'responses' && r.abortedAt).length === 5,
      10_000,
    )
  })

  it('D4 restart on the same port right after exit, with a keep-alive client still connected', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const first = await startChild({ port })
    // An idle keep-alive connection from a client that never closes it.
    const keepAlive = connect({ host: '127.0.0.1', port })
    keepAlive.on('error', () => {})
    await new Promise((resolve) => keepAlive.once('connect', resolve))
    keepAlive.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n`)
    await new Promise((resolve) => keepAlive.once('data', resolve))
    first.proc.kill('SIGTERM')
    const exit = await first.exited
    expect(exit.code).toBe(0)
    const second = await startChild({ port, dataDir: first.dataDir, token: first.token })
    expect(second.port).toBe(port)
    const health = await fetch(`${second.url}/healthz`)
    expect(health.status).toBe(200)
    keepAlive.destroy()
    second.proc.kill('SIGTERM')
    expect((await second.exited).code).toBe(0)
  })
})

// An upstream that goes quiet mid-stream: the in-band error carries the same type and code as the
// HTTP error an upstream timeout gives before the stream starts (`upstream_error` /
// `upstream_timeout`), on every streaming route.
import { createAuthStore, credentialStoreFor } from '@airelays/auth-store'
import { createUpstreamClient, type UpstreamClient } from '@airelays/upstream-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayServer, serveRelay } from '../src/index'
import { type RelayHarness, startRelay } from './_setup'

const IDLE_MS = 400

let h: RelayHarness
let upstream: UpstreamClient
let relay: RelayServer
beforeAll(async () => {
  h = await startRelay()
  upstream = createUpstreamClient({
    credentials: credentialStoreFor(createAuthStore({ mode: 'file', dataDir: h.dataDir })),
    baseUrl: h.emu.backendUrl,
    issuerUrl: h.emu.url,
    streamIdleTimeoutMs: IDLE_MS,
    retry: { attempts: 0, backoffSeconds: [0.05] },
  })
  relay = await serveRelay({
    config: h.config,
    host: '127.0.0.1',
    port: 0,
    upstream,
    keepAliveIntervalMs: 100,
  })
})
afterAll(async () => {
  await relay?.close({ force: true })
  await upstream?.close()
  await h?.close()
})
beforeEach(() => h.emu.reset())

function post(path: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${relay.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', stream: true, ...body }),
  })
}

/** The JSON payloads of the `data:` lines of an SSE body (comments and `[DONE]` skipped). */
function payloads(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .flatMap((frame) => frame.split('\n').filter((line) => line.startsWith('data: ')))
    .map((line) => line.slice(6))
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>)
}

const EXPECTED = { type: 'upstream_error', param: null, code: 'upstream_timeout' }

describe('upstream idle timeout after the stream started', () => {
  it.each([
    [
      '/v1/chat/completions',
      { messages: [{ role: 'user', content: 'Reply with exactly: one two three four' }] },
    ],
    ['/v1/completions', { prompt: 'Reply with exactly: one two three four' }],
  ] as const)('%s ends with an in-band upstream_timeout error and no [DONE]', async (path, body) => {
    h.emu.script({ kind: 'stall', afterEvents: 6, ms: 5000 })
    const res = await post(path, body)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toContain('[DONE]')
    const all = payloads(text)
    expect(all.length).toBeGreaterThan(1)
    const last = all.at(-1) as { error?: Record<string, unknown> }
    expect(Object.keys(last)).toEqual(['error'])
    expect(last.error).toMatchObject(EXPECTED)
    expect(String(last.error?.message)).toMatch(/idle/)
  })

  it('/v1/responses ends with an error event of the same type and code', async () => {
    h.emu.script({ kind: 'stall', afterEvents: 6, ms: 5000 })
    const res = await post('/v1/responses', { input: 'Reply with exactly: one two three four' })
    expect(res.status).toBe(200)
    const text = await res.text()
    const frames = text.split('\n\n').filter((frame) => frame.startsWith('event: '))
    const last = frames.at(-1) as string
    expect(last.startsWith('event: error\n')).toBe(true)
    const data = JSON.parse(last.slice(last.indexOf('data: ') + 6)) as { error: Record<string, unknown> }
    expect(data.error).toMatchObject(EXPECTED)
    expect(String(data.error.message)).toMatch(/idle/)
  })

  it('before the first event the same timeout is an HTTP 504 with the same type and code', async () => {
    h.emu.script({ kind: 'pace', ttftMs: 5000 })
    const res = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(504)
    expect(((await res.json()) as { error: Record<string, unknown> }).error).toMatchObject(EXPECTED)
  })
})

// Streams through `app.fetch` (Nitro entries, apps mounted in a host): the body is a WHATWG
// ReadableStream, so back-pressure and client cancellation go through the reader instead of a Node
// socket. `serveRelay` writes to the Node response instead; test/streaming.test.ts covers that.
import { createAuthStore, credentialStoreFor } from '@airelays/auth-store'
import { eventually } from '@airelays/test-utils'
import {
  createUpstreamClient,
  type ResponsesEvent,
  type ResponsesStream,
  type UpstreamClient,
} from '@airelays/upstream-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createRelayApp } from '../src/index'
import { type RelayHarness, startRelay } from './_setup'

const EVENTS = 400
/** The answer the emulator streams back, in EVENTS deltas. */
const ANSWER = 'back pressure '.repeat(60).trim()

let h: RelayHarness
let real: UpstreamClient
const stop = new AbortController()
/** Upstream events the relay has taken from the upstream stream, and how its streams ended. */
const seen = { pulled: 0, cancelled: 0 }

/** The real upstream client, counting the events the relay pulls out of each stream. */
function counting(client: UpstreamClient): UpstreamClient {
  return {
    ...client,
    responses: async (...args: Parameters<UpstreamClient['responses']>): Promise<ResponsesStream> => {
      const stream = await client.responses(...args)
      const iterator = stream[Symbol.asyncIterator]()
      return {
        status: stream.status,
        headers: stream.headers,
        attempts: stream.attempts,
        sessionId: stream.sessionId,
        cancel: () => {
          seen.cancelled++
          stream.cancel()
        },
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<ResponsesEvent>> => {
            const step = await iterator.next()
            if (!step.done) seen.pulled++
            return step
          },
          return: async () => {
            seen.cancelled++
            return (await iterator.return?.()) ?? { done: true, value: undefined }
          },
        }),
      }
    },
  }
}

let app: ReturnType<typeof createRelayApp>

beforeAll(async () => {
  h = await startRelay({ emulator: { events: EVENTS } })
  real = createUpstreamClient({
    credentials: credentialStoreFor(createAuthStore({ mode: 'file', dataDir: h.dataDir })),
    baseUrl: h.emu.backendUrl,
    issuerUrl: h.emu.url,
  })
  app = createRelayApp({ config: h.config, upstream: counting(real), signal: stop.signal, trafficLog: false })
})
afterAll(async () => {
  stop.abort()
  await real?.close()
  await h?.close()
})
beforeEach(() => {
  seen.pulled = 0
  seen.cancelled = 0
})

async function chat(): Promise<Response> {
  return await app.fetch(
    new Request('http://relay.local/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: `Reply with exactly: ${ANSWER}` }],
      }),
    }),
  )
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('streaming through app.fetch', () => {
  it('a reader that stops stops the upstream; reading on delivers every delta and [DONE]', async () => {
    const res = await chat()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('x-request-id')).toMatch(/^req_/)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = decoder.decode((await reader.read()).value, { stream: true })

    // Nobody reads: the relay stops pulling upstream events after at most a frame or two. Wait
    // until the count stands still (however slow the machine), then check where it stopped.
    let paused = -1
    await eventually(async () => {
      const before = seen.pulled
      await sleep(200)
      paused = seen.pulled
      return paused === before
    }, 20_000)
    await sleep(300)
    expect(seen.pulled).toBe(paused)
    expect(paused).toBeLessThan(20)

    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    const deltas = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map((frame) => JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] })
      .filter((chunk) => typeof chunk.choices[0]?.delta.content === 'string')
    expect(deltas).toHaveLength(EVENTS)
    expect(deltas.map((chunk) => chunk.choices[0]?.delta.content).join('')).toBe(ANSWER)
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
  })

  it('a reader that cancels ends the upstream call at once and frees the request', async () => {
    const res = await chat()
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel()
    await eventually(() => seen.cancelled > 0, 10_000)
    const pulled = seen.pulled
    await sleep(100)
    expect(seen.pulled).toBe(pulled)
    expect(pulled).toBeLessThan(EVENTS)
    // The request is finished: its concurrency slot is free again.
    await eventually(async () => {
      const status = await app.fetch(
        new Request('http://relay.local/v1/relay/status', {
          headers: { authorization: `Bearer ${h.token}` },
        }),
      )
      const body = (await status.json()) as { security: { client: { active_requests: number } } }
      return body.security.client.active_requests - 1 === 0
    }, 2000)
  })
})

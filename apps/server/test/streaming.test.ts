import { request as httpRequest } from 'node:http'
import { eventually } from '@airelays/test-utils'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay({
    relay: { keepAliveIntervalMs: 100 },
    env: { AIRELAYS_RATE_LIMIT_BURST: '100000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000' },
  })
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

const chatBody = (stream: boolean): string =>
  JSON.stringify({
    model: 'gpt-5.5',
    stream,
    messages: [
      { role: 'user', content: 'Reply with exactly: one two three four five six seven eight nine ten' },
    ],
  })

function postChat(stream: boolean, signal?: AbortSignal): Promise<Response> {
  return h.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: chatBody(stream),
    ...(signal ? { signal } : {}),
  })
}

async function relayInFlight(): Promise<number> {
  const res = await h.fetch('/v1/relay/status')
  const body = (await res.json()) as { security: { client: { active_requests: number } } }
  return body.security.client.active_requests - 1 // minus the status request itself
}

describe('SSE framing', () => {
  it('sends SSE headers, data frames, [DONE] and the ignored-parameters header', async () => {
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        stream: true,
        temperature: 0.2,
        max_tokens: 10,
        top_p: null,
        messages: [{ role: 'user', content: 'Reply with exactly: hi there' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('x-accel-buffering')).toBe('no')
    expect(res.headers.get('x-airelays-ignored-parameters')).toBe('temperature,top_p,max_tokens')
    expect(res.headers.get('x-request-id')).toMatch(/^req_/)
    const text = await res.text()
    const frames = text.split('\n\n').filter(Boolean)
    expect(frames.every((frame) => frame.startsWith('data: '))).toBe(true)
    expect(frames[frames.length - 1]).toBe('data: [DONE]')
    const first = JSON.parse(frames[0]?.slice(6) ?? '{}') as {
      object: string
      choices: { delta: { role?: string } }[]
    }
    expect(first.object).toBe('chat.completion.chunk')
    expect(first.choices[0]?.delta.role).toBe('assistant')
  })

  it('sets the ignored-parameters header on non-stream responses too', async () => {
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        frequency_penalty: 1,
        presence_penalty: 1,
        max_completion_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-airelays-ignored-parameters')).toBe(
      'presence_penalty,frequency_penalty,max_completion_tokens',
    )
  })

  it('writes a keep-alive comment while the upstream is idle', async () => {
    h.emu.script({ kind: 'stall', afterEvents: 5, ms: 1000 }) // 10× the keep-alive interval
    const text = await (await postChat(true)).text()
    expect(text).toContain(': keep-alive\n\n')
    expect(text).toContain('data: [DONE]')
  })

  it('forwards frames as they come (the first frame arrives before the stream ends)', async () => {
    h.emu.script({ kind: 'pace', gapMs: 120, events: 100 })
    const res = await postChat(true)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let first = ''
    while (!first.includes('data: ')) {
      const step = await reader.read()
      if (step.done) break
      first += new TextDecoder().decode(step.value)
    }
    expect(first).toMatch(/data: \{/)
    // the upstream is still streaming when the first frame has reached us
    expect(h.emu.stats().inFlight).toBe(1)
    await reader.cancel()
  })
})

describe('the stream head', () => {
  // No keep-alive comments: nothing but the head itself can reach the client before the first
  // text delta, and the upstream stalls after its first output item was announced (the relay has
  // answered: the upstream call resolves on that event).
  let quiet: RelayHarness
  beforeAll(async () => {
    quiet = await startRelay({ relay: { keepAliveIntervalMs: 0 } })
  })
  afterAll(() => quiet?.close())

  it('reaches the client before the first text delta', async () => {
    quiet.emu.script({ kind: 'stall', afterEvents: 3, ms: 30_000 })
    const controller = new AbortController()
    const res = await quiet.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody(true),
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    // the upstream is still in its stall: the head came before any text
    expect(quiet.emu.stats().inFlight).toBe(1)
    controller.abort()
    await quiet.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
  })
})

describe('client disconnect aborts the upstream (design §3.5)', () => {
  // Order, not a stopwatch: the upstream records the abort after the client's and before its own
  // stream could end (each scripted upstream would run for 10 s or more).
  it('mid-stream: the upstream sees the abort before it ends and the slot is freed', async () => {
    h.emu.script({ kind: 'pace', gapMs: 200, events: 100 })
    const controller = new AbortController()
    const res = await postChat(true, controller.signal)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const abortedAt = Date.now()
    controller.abort()
    const upstream = await h.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(upstream.completedAt).toBeUndefined()
    await eventually(async () => (await relayInFlight()) === 0)
    expect(h.emu.stats().inFlight).toBe(0)
    await eventually(async () =>
      (await h.logRecords()).some(
        (record) => record.phase === 'client_disconnected' && record.path === '/v1/chat/completions',
      ),
    )
  })

  it('before the first event: the upstream sees the abort before answering and nothing is retried', async () => {
    h.emu.script({ kind: 'pace', ttftMs: 10_000 })
    const controller = new AbortController()
    const pending = postChat(true, controller.signal).catch((error: unknown) => error)
    await h.emu.waitFor((r) => r.route === 'responses', 10_000)
    const abortedAt = Date.now()
    controller.abort()
    const upstream = await h.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(upstream.completedAt).toBeUndefined()
    expect(await pending).toBeInstanceOf(Error)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(1)
    await eventually(async () => (await relayInFlight()) === 0)
  })

  it('non-stream: the upstream sees the abort before answering', async () => {
    h.emu.script({ kind: 'delay', ms: 10_000 })
    const controller = new AbortController()
    const pending = postChat(false, controller.signal).catch((error: unknown) => error)
    await h.emu.waitFor((r) => r.route === 'responses', 10_000)
    const abortedAt = Date.now()
    controller.abort()
    const upstream = await h.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(upstream.completedAt).toBeUndefined()
    expect(await pending).toBeInstanceOf(Error)
    await eventually(async () => (await relayInFlight()) === 0)
  })

  it('a client that disconnects while sending its body leaves nothing in flight', async () => {
    const url = new URL(`${h.relay.url}/v1/chat/completions`)
    await new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${h.token}`,
            'content-type': 'application/json',
            'content-length': '100000',
          },
        },
        () => resolve(),
      )
      req.on('error', () => resolve())
      req.write('{"model":"gpt-5.5","messages":[')
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 100)
    })
    await eventually(async () => (await relayInFlight()) === 0)
    expect(h.emu.requests.filter((r) => r.route === 'responses')).toHaveLength(0)
  })
})

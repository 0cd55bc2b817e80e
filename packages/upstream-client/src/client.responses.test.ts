import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { useEmulatorClients } from './_test-emulator'
import { codexBody, collect, instantSleep, rejectionOf, textOf } from './_test-helpers'
import { isUpstreamError, type UpstreamError } from './errors'
import type { UpstreamHooks } from './hooks'
import type { Sleep } from './types'

const fx = useEmulatorClients({ client: { clientVersion: '0.130.0', random: () => 0.5 } })
const client = fx.client

const calls = () => fx.emu.requests.filter((r) => r.route === 'responses')

/** A 200 answer whose body is the given SSE text (the emulator's http_error with a string body). */
function rawStream(text: string) {
  return {
    kind: 'http_error' as const,
    status: 200,
    body: text,
    headers: { 'content-type': 'text/event-stream' },
  }
}

const sse = (event: Record<string, unknown>): string =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`

async function expectUpstreamError(promise: Promise<unknown>, code: string): Promise<UpstreamError> {
  const error = await rejectionOf(promise)
  if (!isUpstreamError(error)) throw error
  expect(error.code).toBe(code)
  return error
}

describe('responses()', () => {
  it('sends the Codex headers and body, and streams every event to response.completed', async () => {
    const onStreamEnd = vi.fn()
    const upstream = client({ hooks: { onStreamEnd } })
    const stream = await upstream.responses(codexBody(), {
      sessionId: 'conv-123',
      requestId: 'req_1',
    })
    expect(stream.status).toBe(200)
    expect(stream.sessionId).toBe('conv-123')
    expect(stream.headers['x-codex-primary-used-percent']).toBeDefined()
    const events = await collect(stream)
    expect(events[0]?.type).toBe('response.created')
    expect(events[1]?.type).toBe('response.in_progress')
    expect(events.at(-1)?.type).toBe('response.completed')
    expect(textOf(events)).toBe('pong')
    const [call] = calls()
    const auth = await upstream.status()
    expect(call?.headers).toMatchObject({
      authorization: expect.stringMatching(/^Bearer /),
      'chatgpt-account-id': auth?.account_id,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      originator: 'codex_cli_rs',
      'user-agent': 'codex_cli_rs/0.130.0 (airelays)',
      version: '0.130.0',
      session_id: 'conv-123',
    })
    expect(call?.body).toMatchObject({ prompt_cache_key: 'conv-123', store: false, stream: true })
    expect(onStreamEnd).toHaveBeenCalledTimes(1)
    expect(onStreamEnd.mock.calls[0]?.[0]).toMatchObject({
      status: 'completed',
      requestId: 'req_1',
      events: events.length,
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
      responseId: expect.stringMatching(/^resp_/),
    })
  })

  it('keeps an existing prompt_cache_key and uses it as the session header', async () => {
    await collect(await client().responses(codexBody({ prompt_cache_key: 'pck-1' })))
    expect(calls()[0]?.headers.session_id).toBe('pck-1')
    expect(calls()[0]?.body).toMatchObject({ prompt_cache_key: 'pck-1' })
  })

  it('sends no session header when there is no session', async () => {
    await collect(await client().responses(codexBody()))
    expect(calls()[0]?.headers.session_id).toBeUndefined()
    expect(calls()[0]?.body).not.toHaveProperty('prompt_cache_key')
  })

  it('passes a 400 through after exactly one call', async () => {
    const error = await expectUpstreamError(
      client().responses(codexBody({ temperature: 0.2 })),
      'bad_request',
    )
    expect(error.status).toBe(400)
    expect(error.kind).toBe('client')
    expect(error.upstreamError).toEqual({ message: 'Unsupported parameter: temperature' })
    expect(calls()).toHaveLength(1)
  })

  it('passes an OpenAI-style invalid_request_error through verbatim', async () => {
    const error = await expectUpstreamError(
      client().responses(codexBody({ previous_response_id: 'resp_x' })),
      'bad_request',
    )
    expect(error.upstreamError).toMatchObject({
      type: 'invalid_request_error',
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    })
    expect(calls()).toHaveLength(1)
  })

  it('does not retry a usage limit that resets after the backoff budget', async () => {
    fx.emu.script({ kind: 'usage_limit', resetsInSeconds: 3600 })
    const onRetrySkipped = vi.fn()
    const error = await expectUpstreamError(
      client({ hooks: { onRetrySkipped } }).responses(codexBody()),
      'usage_limit',
    )
    expect(error).toMatchObject({ status: 429, kind: 'quota', upstreamStatus: 429, resetsInSeconds: 3600 })
    expect(error.resetsAt).toBeGreaterThan(Date.now() / 1000 + 3500)
    expect(error.upstreamError).toMatchObject({ type: 'usage_limit_reached' })
    expect(calls()).toHaveLength(1)
    expect(onRetrySkipped).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'quota_resets_beyond_backoff', resetsInSeconds: 3600, status: 429 }),
    )
  })

  it('retries a usage limit that resets within the budget', async () => {
    fx.emu.script({ kind: 'usage_limit', resetsInSeconds: 10 })
    const stream = await client().responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(stream.attempts).toBe(2)
  })

  it('retries a 5xx with the schedule and reports the retry', async () => {
    fx.emu.script({ kind: 'http_error', status: 500 })
    const onRetry = vi.fn()
    const { sleep, delays } = instantSleep()
    const stream = await client({ sleep, hooks: { onRetry } }).responses(codexBody(), { requestId: 'r1' })
    expect(textOf(await collect(stream))).toBe('pong')
    expect(calls()).toHaveLength(2)
    expect(delays).toEqual([5000])
    expect(onRetry).toHaveBeenCalledWith({
      attempt: 1,
      maxAttempts: 3,
      delaySeconds: 5,
      status: 500,
      reason: expect.stringContaining('500'),
      requestId: 'r1',
    })
  })

  it('applies ±20 % jitter and honours Retry-After when it is longer', async () => {
    fx.emu.script(
      { kind: 'http_error', status: 502 },
      { kind: 'http_error', status: 503, headers: { 'retry-after': '30' } },
    )
    const { sleep, delays } = instantSleep()
    await collect(await client({ sleep, random: () => 0 }).responses(codexBody()))
    expect(delays).toEqual([4000, 30000])
  })

  it('gives up after 1 + attempts calls with the last error, delays repeating the last entry', async () => {
    fx.emu.script(...Array.from({ length: 4 }, () => ({ kind: 'http_error' as const, status: 500 })))
    const { sleep, delays } = instantSleep()
    const error = await expectUpstreamError(
      client({ sleep, retry: { attempts: 3, backoffSeconds: [1, 2] } }).responses(codexBody()),
      'upstream_http_error',
    )
    expect(error.status).toBe(502)
    expect(error.upstreamStatus).toBe(500)
    expect(calls()).toHaveLength(4)
    expect(delays).toEqual([1000, 2000, 2000])
  })

  it('makes a single call with attempts = 0', async () => {
    fx.emu.script({ kind: 'http_error', status: 500 })
    await expectUpstreamError(
      client({ retry: { attempts: 0 } }).responses(codexBody()),
      'upstream_http_error',
    )
    expect(calls()).toHaveLength(1)
  })

  it('retries an in-stream overload that arrives before any content', async () => {
    fx.emu.script({ kind: 'overload_in_stream' })
    const stream = await client().responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(calls()).toHaveLength(2)
  })

  it('retries response.failed that arrives before any content', async () => {
    fx.emu.script({ kind: 'failed_event' })
    await collect(await client().responses(codexBody()))
    expect(calls()).toHaveLength(2)
  })

  it('classifies an in-stream usage limit before content as usage_limit', async () => {
    fx.emu.script({ kind: 'usage_limit_in_stream', resetsInSeconds: 7200 })
    const error = await expectUpstreamError(client().responses(codexBody()), 'usage_limit')
    expect(error.resetsInSeconds).toBe(7200)
    expect(error.upstreamStatus).toBe(429)
    expect(calls()).toHaveLength(1)
  })

  it('retries a socket destroyed before any byte, and a stream cut before content', async () => {
    fx.emu.script({ kind: 'destroy' }, { kind: 'cut_mid_stream', afterEvents: 1 })
    const stream = await client().responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(calls()).toHaveLength(3)
  })

  it('retries a stream that ends with no events at all', async () => {
    fx.emu.script({ kind: 'end_early', afterEvents: 0 })
    await collect(await client().responses(codexBody()))
    expect(calls()).toHaveLength(2)
  })

  it('reports an empty stream after the retries are spent', async () => {
    fx.emu.script({ kind: 'end_early', afterEvents: 0 })
    const error = await expectUpstreamError(
      client({ retry: { attempts: 0 } }).responses(codexBody()),
      'stream_incomplete',
    )
    expect(error.message).toBe('Upstream stream ended without a response payload.')
    expect(error.status).toBe(502)
  })

  it('throws stream_failed for a failure event after content, with the raw event', async () => {
    fx.emu.script(
      rawStream(
        sse({ type: 'response.created', response: { id: 'resp_1' } }) +
          sse({ type: 'response.output_text.delta', delta: 'Hel' }) +
          sse({
            type: 'response.failed',
            response: { id: 'resp_1', error: { code: 'server_error', message: 'Boom' } },
          }),
      ),
    )
    const onStreamEnd = vi.fn()
    const stream = await client({ hooks: { onStreamEnd } }).responses(codexBody())
    const seen: string[] = []
    const error = await rejectionOf(
      (async () => {
        for await (const event of stream) seen.push(event.type)
      })(),
    )
    expect(seen).toEqual(['response.created', 'response.output_text.delta'])
    expect(isUpstreamError(error) && error.code).toBe('stream_failed')
    expect((error as UpstreamError).message).toBe('Boom')
    expect((error as UpstreamError).upstreamError).toEqual({ code: 'server_error', message: 'Boom' })
    expect((error as UpstreamError).event?.type).toBe('response.failed')
    expect(calls()).toHaveLength(1)
    expect(onStreamEnd.mock.calls[0]?.[0]).toMatchObject({ status: 'failed', responseId: 'resp_1' })
  })

  it('throws stream_failed for an error event after content', async () => {
    fx.emu.script(
      rawStream(
        sse({ type: 'response.output_text.delta', delta: 'x' }) +
          sse({ type: 'error', code: 'server_is_overloaded', message: 'Overloaded' }),
      ),
    )
    const stream = await client().responses(codexBody())
    const error = await rejectionOf(collect(stream))
    expect(isUpstreamError(error) && error.code).toBe('stream_failed')
    expect(calls()).toHaveLength(1)
  })

  it('throws stream_incomplete when the socket is cut after content', async () => {
    fx.emu.script({ kind: 'cut_mid_stream', afterEvents: 6 })
    const stream = await client().responses(codexBody())
    const error = await rejectionOf(collect(stream))
    expect(isUpstreamError(error) && error.code).toBe('stream_incomplete')
    expect((error as Error).message).toBe('Upstream stream ended before response.completed.')
    expect(calls()).toHaveLength(1)
  })

  it('throws stream_incomplete when the stream ends cleanly before response.completed', async () => {
    fx.emu.script({ kind: 'end_early', afterEvents: 5 })
    const stream = await client().responses(codexBody())
    const error = await rejectionOf(collect(stream))
    expect(isUpstreamError(error) && error.code).toBe('stream_incomplete')
    expect((error as Error).message).toBe('Upstream stream ended before response.completed.')
  })

  it('aborts a stalled stream at the idle timeout and says so', async () => {
    fx.emu.script({ kind: 'stall', afterEvents: 5, ms: 10_000 })
    const stream = await client({ streamIdleTimeoutMs: 300 }).responses(codexBody())
    const started = Date.now()
    const error = await rejectionOf(collect(stream))
    expect(isUpstreamError(error) && error.code).toBe('timeout')
    expect((error as Error).message).toBe('Upstream stream was idle for more than 0.3 s.')
    const record = await fx.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    // The idle timer fired, not the end of the 10 s stall: the upstream request was cut first.
    expect(record.abortedAt).toBeGreaterThanOrEqual(started)
    expect(record.completedAt).toBeUndefined()
  })

  it('retries a stream that stalls before content', async () => {
    fx.emu.script({ kind: 'stall', afterEvents: 2, ms: 10_000 })
    const stream = await client({ streamIdleTimeoutMs: 300 }).responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(calls()).toHaveLength(2)
  })

  it('works without a Content-Type header', async () => {
    fx.emu.script({ kind: 'no_content_type' })
    expect(textOf(await collect(await client().responses(codexBody())))).toBe('pong')
  })

  it('still yields every event when response.completed has an empty output', async () => {
    fx.emu.script({ kind: 'empty_completed_output' })
    const events = await collect(await client().responses(codexBody()))
    const completed = events.at(-1) as { type: string; response: { output: unknown[] } }
    expect(completed.type).toBe('response.completed')
    expect(completed.response.output).toEqual([])
    expect(events.some((e) => e.type === 'response.output_item.done')).toBe(true)
    expect(textOf(events)).toBe('pong')
  })

  it('ends normally after response.incomplete', async () => {
    fx.emu.script({ kind: 'incomplete', reason: 'max_output_tokens' })
    const onStreamEnd = vi.fn()
    const events = await collect(await client({ hooks: { onStreamEnd } }).responses(codexBody()))
    expect(events.at(-1)?.type).toBe('response.incomplete')
    expect(onStreamEnd.mock.calls[0]?.[0]).toMatchObject({ status: 'incomplete' })
  })

  it('parses CRLF framing, comments, data without a space, multi-line data and skips non-JSON data', async () => {
    fx.emu.script(
      rawStream(
        ': keep-alive\r\n\r\n' +
          'event: response.created\r\ndata:{"type":"response.created","response":{"id":"r"}}\r\n\r\n' +
          'data: not json\r\n\r\n' +
          'event: response.output_text.delta\r\ndata: {"delta":\r\ndata: "é"}\r\n\r\n' +
          'data: {"type":"response.completed","response":{"id":"r","usage":null}}',
      ),
    )
    const events = await collect(await client().responses(codexBody()))
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.output_text.delta',
      'response.completed',
    ])
    expect(events[1]?.delta).toBe('é')
  })

  it('retries a response-header timeout, then succeeds', async () => {
    fx.emu.script({ kind: 'delay', ms: 2000 })
    const stream = await client({ requestTimeoutMs: 200 }).responses(codexBody())
    expect(textOf(await collect(stream))).toBe('pong')
    expect(stream.attempts).toBe(2)
  })

  it('maps a refused connection to upstream_unavailable after the retries', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const { sleep, delays } = instantSleep()
    const error = await expectUpstreamError(
      client({ baseUrl: `http://127.0.0.1:${port}/backend-api/codex`, sleep }).responses(codexBody()),
      'upstream_unavailable',
    )
    expect(error.message).toMatch(/^Upstream connection failed: ECONNREFUSED/)
    expect(error.status).toBe(502)
    expect(delays).toHaveLength(3)
  })

  it('rejects a non-object body with a TypeError and makes no call', async () => {
    await expect(client().responses(null as unknown as Record<string, unknown>)).rejects.toThrow(TypeError)
    expect(calls()).toHaveLength(0)
  })
})

describe('aborting', () => {
  it('an abort before the first event reaches the emulator before it answers', async () => {
    fx.emu.script({ kind: 'pace', ttftMs: 10_000 })
    const controller = new AbortController()
    const pending = client().responses(codexBody(), { signal: controller.signal })
    await fx.emu.waitFor((r) => r.route === 'responses', 5000)
    const abortedAt = Date.now()
    controller.abort()
    const error = await rejectionOf(pending)
    expect(isUpstreamError(error) && error.code).toBe('aborted')
    expect((error as UpstreamError).status).toBe(499)
    // Order, not a stopwatch: the emulator saw the abort after the client's, and it never got to
    // answer (its first event was 10 s away).
    const record = await fx.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(record.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(record.completedAt).toBeUndefined()
    expect(calls()).toHaveLength(1)
  })

  it('an abort mid-stream reaches the emulator before the stream ends and ends the iteration with aborted', async () => {
    fx.emu.script({ kind: 'pace', gapMs: 200, events: 100 })
    const controller = new AbortController()
    const onStreamEnd = vi.fn()
    const stream = await client({ hooks: { onStreamEnd } }).responses(codexBody({ input: 'hello' }), {
      signal: controller.signal,
    })
    const iterator = stream[Symbol.asyncIterator]()
    expect((await iterator.next()).value?.type).toBe('response.created')
    expect((await iterator.next()).value?.type).toBe('response.in_progress')
    const pendingNext = rejectionOf(iterator.next().then(() => iterator.next()))
    const abortedAt = Date.now()
    controller.abort()
    const error = await pendingNext
    expect(isUpstreamError(error) && error.code).toBe('aborted')
    const record = await fx.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(record.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(record.completedAt).toBeUndefined()
    expect(onStreamEnd.mock.calls[0]?.[0]).toMatchObject({ status: 'cancelled' })
  })

  it('breaking out of the loop destroys the upstream request at once', async () => {
    fx.emu.script({ kind: 'pace', gapMs: 200, events: 100 })
    const stream = await client().responses(codexBody({ input: 'hello' }))
    let brokeAt = 0
    for await (const event of stream) {
      if (event.type === 'response.output_item.added') {
        brokeAt = Date.now()
        break
      }
    }
    const record = await fx.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(record.abortedAt).toBeGreaterThanOrEqual(brokeAt)
    expect(record.completedAt).toBeUndefined()
    expect(fx.emu.stats().inFlight).toBe(0)
  })

  it('an abort during the retry wait stops at once without another call', async () => {
    fx.emu.script({ kind: 'http_error', status: 500 })
    const controller = new AbortController()
    const onRetrySkipped = vi.fn()
    const sleep: Sleep = (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
        setTimeout(() => controller.abort(), 10)
      })
    const error = await rejectionOf(
      client({ sleep, hooks: { onRetrySkipped } }).responses(codexBody(), { signal: controller.signal }),
    )
    expect(isUpstreamError(error) && error.code).toBe('aborted')
    expect(onRetrySkipped).toHaveBeenCalledWith(expect.objectContaining({ reason: 'client_disconnected' }))
    expect(calls()).toHaveLength(1)
  })

  it('an already aborted signal makes no call', async () => {
    const controller = new AbortController()
    controller.abort()
    const error = await rejectionOf(client().responses(codexBody(), { signal: controller.signal }))
    expect(isUpstreamError(error) && error.code).toBe('aborted')
    expect(calls()).toHaveLength(0)
  })
})

describe('hooks', () => {
  it('sees every request and response, and a throwing hook does not break the call', async () => {
    fx.emu.script({ kind: 'http_error', status: 503 })
    const seen: string[] = []
    const hooks: UpstreamHooks = {
      onRequest: (info) => {
        seen.push(`request ${info.attempt}`)
        throw new Error('hook bug')
      },
      onResponse: (info) => {
        seen.push(`response ${info.status}`)
      },
      onRetry: () => {
        throw new Error('hook bug')
      },
    }
    await collect(await client({ hooks }).responses(codexBody()))
    expect(seen).toEqual(['request 1', 'response 503', 'request 2', 'response 200'])
  })
})

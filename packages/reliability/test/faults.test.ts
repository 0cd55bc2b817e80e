// B11 group F — faults survived: refused connections, 429 with Retry-After, 5xx then success,
// 4xx passthrough, sockets cut mid-stream, stalls, slow headers, malformed SSE framing, expired
// tokens and an unwritable log directory.
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createAuthStore, credentialStoreFor } from '@airelays/auth-store'
import { closeAll, eventually, fakeClock, frameData, readSse, sleep } from '@airelays/test-utils'
import { createUpstreamClient, type UpstreamClient } from '@airelays/upstream-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chatBody, JSON_HEADERS, type RelayHarness, startRelay, upstreamCalls } from './_harness'
import { frame, responseEvents, startRawUpstream, writeChunks } from './_raw-upstream'

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})
afterEach(closeAll)

async function records(
  h: RelayHarness,
  requestId: string,
  phase?: string,
): Promise<Record<string, unknown>[]> {
  return (await h.logRecords()).filter((r) => r.request_id === requestId && (!phase || r.phase === phase))
}

async function envelopeOf(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as { error: Record<string, unknown> }
  expect(Object.keys(body)).toEqual(['error'])
  for (const key of ['message', 'type', 'param', 'code']) expect(body.error).toHaveProperty(key)
  return body.error
}

function post(h: RelayHarness, requestId: string, body: string, path = '/v1/chat/completions') {
  return h.fetch(path, { method: 'POST', headers: { ...JSON_HEADERS, 'x-request-id': requestId }, body })
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** An upstream client like the relay's default one, with a short stream idle timeout. */
function shortIdleUpstream(h: { dataDir: string; emuUrl: string; backendUrl: string }, idleMs: number) {
  return createUpstreamClient({
    credentials: credentialStoreFor(createAuthStore({ mode: 'file', dataDir: h.dataDir })),
    baseUrl: h.backendUrl,
    issuerUrl: h.emuUrl,
    streamIdleTimeoutMs: idleMs,
    retry: { attempts: 3, backoffSeconds: [0.05] },
  })
}

describe('F — faults survived', () => {
  it('F1 upstream refuses the connection: 502 after the retries, on the configured schedule', async () => {
    const port = await closedPort()
    const h = await startRelay({
      upstreamBaseUrl: `http://127.0.0.1:${port}/backend-api/codex`,
      env: { AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.05,0.1,0.15' },
    })
    for (const [id, stream] of [
      ['f1-plain', false],
      ['f1-stream', true],
    ] as const) {
      const started = Date.now()
      const res = await post(h, id, chatBody('hi', { stream }))
      const elapsed = Date.now() - started
      expect(res.status).toBe(502)
      expect(res.headers.get('x-request-id')).toBe(id)
      const error = await envelopeOf(res)
      expect(error.code).toBe('upstream_unavailable')
      expect(error.type).toBe('upstream_error')
      const retries = await eventually(async () => {
        const list = await records(h, id, 'retry_backoff')
        return list.length >= 3 ? list : null
      })
      // The relay waited out the logged schedule (a lower bound never flakes); the upper bound only
      // shows it did not wait much longer: 10× the 0.36 s schedule, far above its typical value.
      const waited = retries.reduce((sum, r) => sum + (r.delay_seconds as number) * 1000, 0)
      expect(elapsed).toBeGreaterThanOrEqual(waited - 5)
      expect(elapsed).toBeLessThan(10 * 360)
      expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3])
      const planned = [0.05, 0.1, 0.15]
      retries.forEach((r, i) => {
        const delay = r.delay_seconds as number
        expect(delay).toBeGreaterThanOrEqual((planned[i] as number) * 0.8 - 1e-9)
        expect(delay).toBeLessThanOrEqual((planned[i] as number) * 1.2 + 1e-9)
      })
      // The traffic log batches its appends: wait for the last attempt's record too.
      const requests = await eventually(async () => {
        const list = await records(h, id, 'upstream_request')
        return list.length >= 4 ? list : null
      })
      await sleep(100)
      expect(await records(h, id, 'upstream_request')).toHaveLength(requests.length)
      expect(requests).toHaveLength(4)
    }
  })

  describe('F2 429 with Retry-After: 2', () => {
    it('F2 waits at least Retry-After before the retry when the backoff budget allows it', async () => {
      const h = await startRelay({ env: { AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '0.2,3' } })
      h.emu.script({ kind: 'http_error', status: 429, headers: { 'retry-after': '2' } })
      const res = await post(h, 'f2-wait', chatBody('Reply with exactly: later'))
      expect(res.status).toBe(200)
      const calls = h.emu.requests.filter((r) => r.route === 'responses')
      expect(calls).toHaveLength(2)
      const first = calls[0] as { completedAt?: number; receivedAt: number }
      const second = calls[1] as { receivedAt: number }
      expect(second.receivedAt - (first.completedAt ?? first.receivedAt)).toBeGreaterThanOrEqual(1990)
      const retries = await records(h, 'f2-wait', 'retry_backoff')
      expect(retries).toHaveLength(1)
      expect(retries[0]?.delay_seconds as number).toBeGreaterThanOrEqual(2)
    })

    it('F2 skips the retry when Retry-After exceeds the budget: one call, 429 with an integer Retry-After', async () => {
      const h = await startRelay()
      h.emu.script({ kind: 'http_error', status: 429, headers: { 'retry-after': '2' } })
      const res = await post(h, 'f2-skip', chatBody())
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(2)
      await envelopeOf(res)
      expect(upstreamCalls(h.emu)).toBe(1)
      const skipped = await eventually(async () => {
        const list = await records(h, 'f2-skip', 'retry_skipped')
        return list.length > 0 ? list : null
      })
      expect(skipped[0]?.reason).toBe('retry_after_beyond_backoff')
    })

    it('F2 usage limit resetting beyond the budget: one call, 429 with resets_in_seconds', async () => {
      const h = await startRelay()
      h.emu.script({ kind: 'usage_limit', resetsInSeconds: 3600 })
      const res = await post(h, 'f2-quota', chatBody())
      expect(res.status).toBe(429)
      const retryAfter = Number(res.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(3590)
      expect(retryAfter).toBeLessThanOrEqual(3600)
      const error = await envelopeOf(res)
      expect(error.code).toBe('usage_limit_reached')
      expect(error.resets_in_seconds).toBe(retryAfter)
      expect(upstreamCalls(h.emu)).toBe(1)
      const skipped = await eventually(async () => {
        const list = await records(h, 'f2-quota', 'retry_skipped')
        return list.length > 0 ? list : null
      })
      expect(skipped[0]?.reason).toBe('quota_resets_beyond_backoff')
    })
  })

  it.each([false, true])(
    'F3 500 then success: 200 after exactly 2 upstream calls (stream: %s)',
    async (stream) => {
      const h = await startRelay()
      h.emu.script({ kind: 'http_error', status: 500 })
      const res = await post(h, 'f3', chatBody('Reply with exactly: recovered', { stream }))
      expect(res.status).toBe(200)
      if (stream) {
        const { frames } = await readSse(res.body as ReadableStream<Uint8Array>)
        expect(frames.at(-1)?.text).toBe('data: [DONE]')
      } else {
        const body = (await res.json()) as { choices: { message: { content: string } }[] }
        expect(body.choices[0]?.message.content).toBe('recovered')
      }
      expect(upstreamCalls(h.emu)).toBe(2)
    },
  )

  it('F4 400 invalid_request_error is passed through verbatim after exactly 1 upstream call', async () => {
    const h = await startRelay()
    const upstreamError = {
      message: "Invalid value: 'input_texte'. Supported values are: 'input_text'.",
      type: 'invalid_request_error',
      param: 'input[0].content[0].type',
      code: 'invalid_value',
    }
    h.emu.script({ kind: 'http_error', status: 400, body: { error: upstreamError } })
    const res = await post(h, 'f4', chatBody())
    expect(res.status).toBe(400)
    const error = await envelopeOf(res)
    expect(error).toEqual(upstreamError)
    await sleep(300)
    expect(upstreamCalls(h.emu)).toBe(1)
  })

  describe('F5 socket reset mid-stream', () => {
    it('F5 stream: terminated with an error event (no [DONE]), no retry, no unhandled rejection, relay alive', async () => {
      const h = await startRelay()
      h.emu.script({ kind: 'cut_mid_stream', afterEvents: 6 })
      const res = await post(
        h,
        'f5-stream',
        chatBody('Reply with exactly: one two three four', { stream: true }),
      )
      expect(res.status).toBe(200)
      const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
      expect(error).toBeNull()
      expect(frames.some((f) => f.text.includes('[DONE]'))).toBe(false)
      const last = frameData(frames.at(-1)?.text ?? '') as { error?: Record<string, unknown> } | null
      expect(last?.error).toBeDefined()
      expect(last?.error?.code).toBe('incomplete_stream')
      await sleep(300)
      expect(upstreamCalls(h.emu)).toBe(1)
      const after = await post(h, 'f5-after', chatBody('Reply with exactly: alive'))
      expect(after.status).toBe(200)
      expect(unhandled).toEqual([])
    })

    it('F5 non-stream: 502 incomplete_stream, no retry after content, relay alive', async () => {
      const h = await startRelay()
      h.emu.script({ kind: 'cut_mid_stream', afterEvents: 6 })
      const res = await post(h, 'f5-plain', chatBody('Reply with exactly: one two three four'))
      expect(res.status).toBe(502)
      const error = await envelopeOf(res)
      expect(error.code).toBe('incomplete_stream')
      await sleep(300)
      expect(upstreamCalls(h.emu)).toBe(1)
      expect((await post(h, 'f5-after', chatBody())).status).toBe(200)
      expect(unhandled).toEqual([])
    })
  })

  it('F6 upstream stall past the idle timeout: upstream aborted at the timeout, client gets an error', async () => {
    let upstream: UpstreamClient | null = null
    const idleMs = 1000
    try {
      const h0 = await startRelay()
      upstream = shortIdleUpstream(
        { dataDir: h0.dataDir, emuUrl: h0.emu.url, backendUrl: h0.emu.backendUrl },
        idleMs,
      )
      await h0.relay.close({ force: true })
      const h = await startRelay({ emu: h0.emu, relay: { upstream } })
      // Reuse h0's login: the injected client reads h0's data dir.
      h0.emu.script({ kind: 'stall', afterEvents: 6, ms: 10_000 })
      const res = await post(h, 'f6', chatBody('Reply with exactly: one two three four', { stream: true }))
      expect(res.status).toBe(200)
      const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
      expect(error).toBeNull()
      expect(frames.some((f) => f.text.includes('[DONE]'))).toBe(false)
      const errorFrame = frames.at(-1) as { text: string; at: number }
      const lastData = frames.at(-2) as { text: string; at: number }
      const last = frameData(errorFrame.text) as { error?: Record<string, unknown> } | null
      expect(Object.keys(last?.error ?? {}).sort()).toEqual(['code', 'message', 'param', 'type'])
      // the same type and code as the HTTP 504 of a timeout before the first event
      expect(last?.error).toMatchObject({ type: 'upstream_error', code: 'upstream_timeout' })
      const recorded = await h0.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined)
      // The idle timer fired (never early), and cut the upstream long before its 10 s stall ended:
      // the upper bound is 5× the timeout, so a loaded machine cannot push it over.
      const idle = (recorded.abortedAt as number) - lastData.at
      expect(idle).toBeGreaterThanOrEqual(idleMs * 0.9)
      expect(idle).toBeLessThanOrEqual(idleMs * 5)
      expect(recorded.completedAt).toBeUndefined()
      expect(upstreamCalls(h0.emu)).toBe(1)
      await h0.close()
    } finally {
      await closeAll()
      await upstream?.close()
    }
  })

  // The relay has no overall deadline across retries: each attempt gets request_timeout_seconds (or
  // the stream idle timeout), so the expected time is (attempts + 1) × timeout + the backoff
  // schedule; undici arms its header timer with up to ~0.5 s of granularity, hence +0.6 s per
  // attempt. The bound is 5× that, still below the 30 s the upstream would take to answer, so it
  // shows the timeouts fired without timing them tightly; the count of calls is the main check.
  const attemptBound = (timeoutMs: number): number => 5 * (4 * (timeoutMs + 600) + 3 * 60)
  const NEVER_MS = 30_000

  describe('F7 slow upstream before the first event: no retry storm, bounded total time', () => {
    it('F7 headers never come: attempts + 1 calls at most, 504 within the total budget', async () => {
      const h = await startRelay({ env: { AIRELAYS_REQUEST_TIMEOUT_SECONDS: '0.5' } })
      h.emu.script(...Array.from({ length: 6 }, () => ({ kind: 'delay' as const, ms: NEVER_MS })))
      const started = Date.now()
      const res = await post(h, 'f7-headers', chatBody())
      const elapsed = Date.now() - started
      expect(res.status).toBe(504)
      expect((await envelopeOf(res)).code).toBe('upstream_timeout')
      expect(elapsed).toBeLessThan(attemptBound(500))
      await sleep(300)
      expect(upstreamCalls(h.emu)).toBe(4)
      await eventually(() =>
        h.emu.requests.every((r) => r.route !== 'responses' || r.abortedAt !== undefined),
      )
    })

    it('F7 first event never comes (TTFT 30 s): attempts + 1 calls at most, 504 within the total budget', async () => {
      let upstream: UpstreamClient | null = null
      try {
        const h0 = await startRelay()
        upstream = shortIdleUpstream(
          { dataDir: h0.dataDir, emuUrl: h0.emu.url, backendUrl: h0.emu.backendUrl },
          500,
        )
        await h0.relay.close({ force: true })
        const h = await startRelay({ emu: h0.emu, relay: { upstream } })
        h0.emu.script(...Array.from({ length: 6 }, () => ({ kind: 'pace' as const, ttftMs: NEVER_MS })))
        const started = Date.now()
        const res = await post(h, 'f7-ttft', chatBody('hi', { stream: true }))
        const elapsed = Date.now() - started
        expect(res.status).toBe(504)
        await envelopeOf(res)
        expect(elapsed).toBeLessThan(attemptBound(500))
        await sleep(300)
        expect(upstreamCalls(h0.emu)).toBe(4)
        await h0.close()
      } finally {
        await closeAll()
        await upstream?.close()
      }
    })
  })

  it.each(['responses', 'chat/completions'])(
    'F8 malformed SSE framing (split UTF-8, CRLF, comments) reaches the client intact (%s)',
    async (route) => {
      const deltas = ['Grüße, ', 'naïve ', '🌍 ', '日本語', ' done']
      const events = responseEvents(deltas)
      const upstream = await startRawUpstream(async (_req, res) => {
        const wire = Buffer.from(
          events
            .map(
              (e, i) =>
                (i === 2 ? `: keep-alive comment\r\n\r\n` : '') + frame(e, i % 2 === 0 ? '\r\n' : '\n'),
            )
            .join(''),
          'utf8',
        )
        // Cut the bytes so that multibyte sequences straddle writes: inside every non-ASCII character.
        const cuts: number[] = []
        for (let i = 1; i < wire.length; i++) {
          const byte = wire[i] as number
          if ((byte & 0xc0) === 0x80) cuts.push(i)
        }
        const chunks: Buffer[] = []
        let from = 0
        for (const at of cuts) {
          chunks.push(wire.subarray(from, at))
          from = at
        }
        chunks.push(wire.subarray(from))
        await writeChunks(res, chunks, 1)
      })
      try {
        const h = await startRelay({ upstreamBaseUrl: upstream.backendUrl })
        const body =
          route === 'responses'
            ? JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true })
            : chatBody('hi', { stream: true })
        const res = await post(h, 'f8', body, `/v1/${route}`)
        expect(res.status).toBe(200)
        const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
        expect(error).toBeNull()
        if (route === 'responses') {
          const received = frames.map((f) => frameData(f.text)).filter((d) => d !== null)
          expect(received).toEqual(events)
        } else {
          const text = frames
            .map((f) => frameData(f.text) as { choices?: { delta?: { content?: string } }[] } | null)
            .map((d) => d?.choices?.[0]?.delta?.content ?? '')
            .join('')
          expect(text).toBe(deltas.join(''))
          expect(frames.at(-1)?.text).toBe('data: [DONE]')
        }
        expect(upstream.calls).toBe(1)
        expect(unhandled).toEqual([])
      } finally {
        await closeAll()
        await upstream.close()
      }
    },
  )

  it('F9 upstream 401: exactly one refresh and one retry, then 200', async () => {
    const h = await startRelay()
    h.emu.script({ kind: 'expired_token' })
    const res = await post(h, 'f9', chatBody('Reply with exactly: refreshed'))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { choices: { message: { content: string } }[] }
    expect(body.choices[0]?.message.content).toBe('refreshed')
    expect(upstreamCalls(h.emu, 'token')).toBe(1)
    expect(upstreamCalls(h.emu, 'responses')).toBe(2)
    const refresh = await eventually(async () => {
      const list = (await h.logRecords()).filter((r) => r.phase === 'upstream_auth_refresh')
      return list.length > 0 ? list : null
    })
    expect(refresh).toHaveLength(1)
    expect(refresh[0]?.outcome).toBe('refreshed')
  })

  it('F10 log directory not writable: requests still served, the problem reported once per minute', async () => {
    const clock = fakeClock()
    const h0 = await startRelay()
    const blocker = join(h0.dataDir, 'not-a-directory')
    await writeFile(blocker, 'a file where the logs directory should be\n')
    const h = await startRelay({
      emu: h0.emu,
      env: { AIRELAYS_LOGS_DIR: blocker },
      relay: { clock: clock.now },
    })
    for (let i = 0; i < 15; i++) expect((await post(h, `f10-${i}`, chatBody())).status).toBe(200)
    await eventually(() => h.logger.errors.length >= 1, 10_000)
    await sleep(300)
    expect(h.logger.errors).toHaveLength(1)
    expect(h.logger.errors[0]).toMatch(/traffic log/)
    expect(h.logger.errors[0]).not.toContain(h.token)
    clock.advance(61_000)
    for (let i = 0; i < 15; i++) expect((await post(h, `f10-b${i}`, chatBody())).status).toBe(200)
    await eventually(() => h.logger.errors.length >= 2, 10_000)
    await sleep(300)
    expect(h.logger.errors).toHaveLength(2)
    await h0.close()
  })
})

// B11 group S — streaming correctness: client disconnects in every window, uploads cut short,
// backpressure, keep-alive comments, headers and no buffering, in-band upstream errors.
import { readdir } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { closeAll, eventually, frameData, readSse, sleep } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, JSON_HEADERS, type RelayHarness, startRelay, upstreamCalls } from './_harness'
import { frameRequest, openSocket, rawRequest } from './_raw-http'
import { frame, responseEvents, startRawUpstream, writeChunks } from './_raw-upstream'

afterEach(closeAll)

type Route = 'chat/completions' | 'completions' | 'responses'

function streamBody(route: Route, text = 'Tell me a story.'): string {
  if (route === 'chat/completions') return chatBody(text, { stream: true })
  if (route === 'completions') return JSON.stringify({ model: 'gpt-5.5', prompt: text, stream: true })
  return JSON.stringify({ model: 'gpt-5.5', input: text, stream: true })
}

function isContentFrame(route: Route, text: string): boolean {
  if (route === 'responses') return text.includes('response.output_text.delta')
  const data = frameData(text) as { choices?: { delta?: { content?: string }; text?: string }[] } | null
  const choice = data?.choices?.[0]
  return typeof choice?.delta?.content === 'string' || typeof choice?.text === 'string'
}

async function records(h: RelayHarness, requestId: string): Promise<Record<string, unknown>[]> {
  return (await h.logRecords()).filter((r) => r.request_id === requestId)
}

/** The relay's own view of the caller: the status request itself holds exactly one slot. */
async function activeRequests(h: RelayHarness): Promise<number> {
  const status = await h.status()
  return (status.security.client?.active_requests ?? 0) - 1
}

describe('S — streaming correctness', () => {
  it.each<Route>(['chat/completions', 'completions', 'responses'])(
    'S1 client abort mid-stream reaches upstream before its stream ends (%s)',
    async (route) => {
      const h = await startRelay()
      h.emu.script({ kind: 'pace', events: 200, gapMs: 50 }) // 10 s upstream
      const ac = new AbortController()
      const requestId = `s1-${route.replace('/', '-')}`
      const res = await h.fetch(`/v1/${route}`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, 'x-request-id': requestId },
        body: streamBody(route),
        signal: ac.signal,
      })
      expect(res.status).toBe(200)
      let contentFrames = 0
      let abortedAt = 0
      await readSse(res.body as ReadableStream<Uint8Array>, (f) => {
        if (isContentFrame(route, f.text)) contentFrames++
        if (contentFrames < 3) return true
        abortedAt = Date.now()
        ac.abort()
        return false
      })
      expect(contentFrames).toBe(3)
      // Order, not a stopwatch: recorded after the client's abort, before the 10 s stream ended.
      const upstream = await h.emu.waitFor(
        (r) => r.route === 'responses' && r.abortedAt !== undefined,
        10_000,
      )
      expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
      expect(upstream.completedAt).toBeUndefined()
      await eventually(async () => (await activeRequests(h)) === 0, 10_000, 20, 'active requests back to 0')
      const mine = await eventually(async () => {
        const list = await records(h, requestId)
        return list.some((r) => r.phase === 'outbound_response') ? list : null
      })
      expect(mine.filter((r) => r.phase === 'client_disconnected')).toHaveLength(1)
      const outbound = mine.filter((r) => r.phase === 'outbound_response')
      expect(outbound).toHaveLength(1)
      expect(outbound[0]?.status_code).toBeLessThan(500)
      expect(outbound[0]?.outcome).toBe('client_disconnected')
      expect(mine.some((r) => r.phase === 'relay_error' || r.phase === 'outbound_stream_error')).toBe(false)
      expect(upstreamCalls(h.emu)).toBe(1)
    },
  )

  it('S2 client abort before the first event reaches upstream before it answers and starts no retry', async () => {
    const h = await startRelay()
    h.emu.script({ kind: 'pace', ttftMs: 10_000 })
    const ac = new AbortController()
    const pending = h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-request-id': 's2-ttft' },
      body: streamBody('chat/completions'),
      signal: ac.signal,
    })
    pending.catch(() => {})
    await h.emu.waitFor((r) => r.route === 'responses', 10_000)
    await sleep(200)
    const abortedAt = Date.now()
    ac.abort()
    await expect(pending).rejects.toThrow()
    const upstream = await h.emu.waitFor((r) => r.route === 'responses' && r.abortedAt !== undefined, 10_000)
    expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
    expect(upstream.completedAt).toBeUndefined()
    // Three retries at 0.05 s would all have started by now.
    await sleep(600)
    expect(upstreamCalls(h.emu)).toBe(1)
    await eventually(async () => (await activeRequests(h)) === 0, 10_000)
    const mine = await eventually(async () => {
      const list = await records(h, 's2-ttft')
      return list.some((r) => r.phase === 'client_disconnected') ? list : null
    })
    expect(mine.filter((r) => r.phase === 'retry_backoff')).toHaveLength(0)
  })

  it('S2 client abort during the retry backoff cancels the retry (retry_skipped: client_disconnected)', async () => {
    const h = await startRelay({ env: { AIRELAYS_OPENAI_RETRY_BACKOFF_SECONDS: '2' } })
    h.emu.script({ kind: 'http_error', status: 500 })
    const ac = new AbortController()
    const pending = h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-request-id': 's2-backoff' },
      body: streamBody('chat/completions'),
      signal: ac.signal,
    })
    pending.catch(() => {})
    await eventually(async () => (await records(h, 's2-backoff')).some((r) => r.phase === 'retry_backoff'))
    ac.abort()
    await expect(pending).rejects.toThrow()
    // The backoff was 2 s (±20 % jitter): wait past it.
    await sleep(2600)
    expect(upstreamCalls(h.emu)).toBe(1)
    const mine = await eventually(async () => {
      const list = await records(h, 's2-backoff')
      return list.some((r) => r.phase === 'retry_skipped') ? list : null
    })
    const skipped = mine.filter((r) => r.phase === 'retry_skipped')
    expect(skipped).toHaveLength(1)
    expect(skipped[0]?.reason).toBe('client_disconnected')
    expect(await activeRequests(h)).toBe(0)
  })

  it.each([
    ['headers delayed', { kind: 'delay', ms: 10_000 }],
    ['first event delayed', { kind: 'pace', ttftMs: 10_000 }],
  ] as const)(
    'S3 client abort of a non-stream request reaches upstream before it answers (%s)',
    async (_name, behaviour) => {
      const h = await startRelay()
      h.emu.script(behaviour)
      const ac = new AbortController()
      const pending = h.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { ...JSON_HEADERS, 'x-request-id': 's3' },
        body: chatBody('Reply with exactly: late'),
        signal: ac.signal,
      })
      pending.catch(() => {})
      await h.emu.waitFor((r) => r.route === 'responses', 10_000)
      await sleep(200)
      const abortedAt = Date.now()
      ac.abort()
      await expect(pending).rejects.toThrow()
      const upstream = await h.emu.waitFor(
        (r) => r.route === 'responses' && r.abortedAt !== undefined,
        10_000,
      )
      expect(upstream.abortedAt).toBeGreaterThanOrEqual(abortedAt)
      expect(upstream.completedAt).toBeUndefined()
      await sleep(400)
      expect(upstreamCalls(h.emu)).toBe(1)
      await eventually(async () => (await activeRequests(h)) === 0, 10_000)
    },
  )

  describe('S4 client disconnects while uploading a body', () => {
    async function cutUpload(
      h: RelayHarness,
      path: string,
      headers: Record<string, string>,
      partial: string,
    ) {
      const socket = await openSocket(h.url)
      socket.on('error', () => {})
      socket.write(
        frameRequest('POST', path, {
          authorization: `Bearer ${h.token}`,
          'content-length': String(8 * 1024 * 1024),
          ...headers,
        }),
      )
      socket.write(partial)
      await sleep(300)
      const cutAt = Date.now()
      socket.destroy()
      return cutAt
    }

    it('S4 JSON body: the read ends with a client disconnect (not a timeout), no 5xx, slot freed', async () => {
      const h = await startRelay()
      await cutUpload(
        h,
        '/v1/chat/completions',
        { ...JSON_HEADERS, 'x-request-id': 's4-json' },
        '{"model":"gpt-5.5","messages":[{"role":"user","content":"',
      )
      const mine = await eventually(
        async () => {
          const list = await records(h, 's4-json')
          return list.some((r) => r.phase === 'client_disconnected') ? list : null
        },
        10_000,
        10,
        'client_disconnected record',
      )
      expect(mine.some((r) => r.phase === 'relay_error')).toBe(false)
      for (const r of mine.filter((x) => x.phase === 'outbound_response'))
        expect(r.status_code as number).toBeLessThan(500)
      expect(h.logger.errors).toEqual([])
      expect(await activeRequests(h)).toBe(0)
      expect(upstreamCalls(h.emu)).toBe(0)
    })

    it.each([
      ['streamed into the store (purpose in the query)', '/v1/files?purpose=assistants'],
      ['spooled (purpose unknown when the file part starts)', '/v1/files'],
    ])('S4 multipart upload %s: no hang, partial temp file removed', async (_name, path) => {
      const h = await startRelay()
      const boundary = 'b11boundary'
      const partial =
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.txt"\r\n` +
        `content-type: text/plain\r\n\r\n${'x'.repeat(256 * 1024)}`
      const requestId = `s4-upload-${path.includes('purpose') ? 'store' : 'spool'}`
      await cutUpload(
        h,
        path,
        { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-request-id': requestId },
        partial,
      )
      await eventually(
        async () => (await records(h, requestId)).some((r) => r.phase === 'client_disconnected'),
        1000,
        10,
        'client_disconnected record within 1 s',
      )
      const leftovers = async (): Promise<string[]> => {
        const out: string[] = []
        for (const dir of [h.config.paths.tmp_dir, h.config.paths.uploads_dir]) {
          const names = await readdir(dir).catch(() => [] as string[])
          out.push(
            ...names.filter((n) => n !== 'index.json' && n !== 'index.json.bak').map((n) => join(dir, n)),
          )
        }
        return out
      }
      await eventually(async () => (await leftovers()).length === 0, 10_000, 10, 'no partial file left')
      expect(h.logger.errors).toEqual([])
      const status = await h.status()
      expect(status.storage).toMatchObject({ file_count: 0, total_bytes: 0 })
      expect((status.security.client?.active_requests ?? 0) - 1).toBe(0)
      const records2 = await records(h, requestId)
      expect(records2.some((r) => r.phase === 'relay_error')).toBe(false)
    })
  })

  it('S5 slow reader: backpressure reaches the upstream, nothing buffers in the relay, nothing is lost', async () => {
    const events = 40_000
    const h = await startRelay({ env: { AIRELAYS_LOG_STREAM_LINES: 'true' }, emulator: { events } })
    const relaySockets: Socket[] = []
    h.relay.server.on('connection', (s: Socket) => relaySockets.push(s))
    const socket = await openSocket(h.url)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.write(
      frameRequest(
        'POST',
        '/v1/chat/completions',
        { authorization: `Bearer ${h.token}`, ...JSON_HEADERS, 'x-request-id': 's5' },
        streamBody('chat/completions', 'hello'),
      ),
    )
    await eventually(() => chunks.length > 0, 5000)
    socket.pause()
    const consumed = async (): Promise<number> =>
      (await records(h, 's5')).filter((r) => r.phase === 'upstream_stream_line').length
    // Let the kernel buffers fill: wait until the relay stands still (however slow the machine),
    // then check it stays there.
    let first = -1
    await eventually(
      async () => {
        const before = await consumed()
        await sleep(500)
        first = await consumed()
        return before === first
      },
      30_000,
      0,
      'the relay stops reading upstream',
    )
    await sleep(700)
    const second = await consumed()
    expect(second).toBe(first)
    expect(second).toBeGreaterThan(0)
    expect(second).toBeLessThan(events * 0.75)
    const buffered = Math.max(...relaySockets.map((s) => s.writableLength))
    expect(buffered).toBeLessThanOrEqual(64 * 1024)
    socket.resume()
    await eventually(() => socket.readableEnded, 30_000, 50, 'stream end')
    socket.destroy()
    const text = Buffer.concat(chunks).toString('utf8')
    expect(text).toContain('data: [DONE]')
    let deltas = 0
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: {')) continue
      const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: unknown } }[] }
      if (typeof chunk.choices?.[0]?.delta?.content === 'string') deltas++
    }
    expect(deltas).toBe(events)
  })

  it('S6 idle stream gets ": keep-alive" comments and is not cut by a relay timeout', async () => {
    const h = await startRelay({ relay: { keepAliveIntervalMs: 200 } })
    h.emu.script({ kind: 'stall', afterEvents: 6, ms: 3000 })
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: streamBody('chat/completions', 'Reply with exactly: one two three four five six seven'),
    })
    expect(res.status).toBe(200)
    const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
    expect(error).toBeNull()
    const comments = frames.filter((f) => f.text.startsWith(':'))
    expect(comments.length).toBeGreaterThanOrEqual(5)
    for (const c of comments) expect(c.text).toBe(': keep-alive')
    // Every idle stretch is broken by a keep-alive: no gap reaches 5× the interval (a missing
    // keep-alive would leave the 3 s stall unbroken).
    for (let i = 1; i < frames.length; i++) {
      expect((frames[i] as { at: number }).at - (frames[i - 1] as { at: number }).at).toBeLessThan(5 * 200)
    }
    expect(frames.at(-1)?.text).toBe('data: [DONE]')
    const text = frames
      .map((f) => frameData(f.text) as { choices?: { delta?: { content?: string } }[] } | null)
      .map((d) => d?.choices?.[0]?.delta?.content ?? '')
      .join('')
    expect(text).toBe('one two three four five six seven')
  })

  it('S6 default keep-alive interval is at most 15 s', async () => {
    const h = await startRelay()
    h.emu.script({ kind: 'stall', afterEvents: 5, ms: 16_000 })
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: streamBody('chat/completions', 'Reply with exactly: a b c'),
    })
    expect(res.status).toBe(200)
    const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
    expect(error).toBeNull()
    // Order, not a stopwatch: a keep-alive breaks the 16 s stall, i.e. it comes after the fifth
    // event and before the next one, so the default interval is below 16 s (it is 15 s).
    const first = frames.findIndex((f) => f.text === ': keep-alive')
    expect(first).toBeGreaterThan(0)
    expect(frames.slice(first + 1).some((f) => isContentFrame('chat/completions', f.text))).toBe(true)
    expect(frames.at(-1)?.text).toBe('data: [DONE]')
  }, 40_000)

  it.each<Route>(['chat/completions', 'responses'])(
    'S7 stream headers and frames forwarded as they arrive, not buffered (%s)',
    async (route) => {
      const h = await startRelay()
      h.emu.script({ kind: 'pace', events: 12, gapMs: 250 })
      const res = await h.fetch(`/v1/${route}`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: streamBody(route),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(res.headers.get('cache-control')).toBe('no-cache')
      expect(res.headers.get('x-accel-buffering')).toBe('no')
      expect(res.headers.get('x-request-id')).toBeTruthy()
      // Order, not a stopwatch: the upstream paces 12 deltas 250 ms apart; when each of the first
      // six reaches the client, the upstream is still sending (a buffering relay would deliver
      // nothing before the upstream completed).
      const upstreamDone: boolean[] = []
      const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>, (f) => {
        if (isContentFrame(route, f.text))
          upstreamDone.push(
            h.emu.requests.some((r) => r.route === 'responses' && r.completedAt !== undefined),
          )
        return undefined
      })
      expect(error).toBeNull()
      const content = frames.filter((f) => isContentFrame(route, f.text))
      expect(content).toHaveLength(12)
      expect(upstreamDone.slice(0, 6)).toEqual([false, false, false, false, false, false])
    },
  )

  it.each<Route>(['chat/completions', 'responses'])(
    'S8 in-band upstream error mid-stream reaches the client as an error event, clean end, no retry (%s)',
    async (route) => {
      const upstream = await startRawUpstream(async (_req, res) => {
        const events = responseEvents(['Hello', ' there'])
        const opening = events.slice(0, 6).map((e) => frame(e))
        const error = frame({
          type: 'error',
          sequence_number: 6,
          code: 'server_error',
          message: 'The upstream model crashed mid-answer.',
          param: null,
        })
        await writeChunks(res, [...opening, error])
      })
      try {
        const h = await startRelay({ upstreamBaseUrl: upstream.backendUrl })
        const res = await h.fetch(`/v1/${route}`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: streamBody(route),
        })
        expect(res.status).toBe(200)
        const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
        expect(error).toBeNull()
        expect(frames.filter((f) => isContentFrame(route, f.text))).toHaveLength(2)
        expect(frames.some((f) => f.text.includes('[DONE]'))).toBe(false)
        const last = frames.at(-1)?.text ?? ''
        if (route === 'responses') expect(last).toMatch(/^event: error\n/)
        // Chat: the envelope as a data line. Responses: the upstream `error` event, as OpenAI sends it.
        const data = frameData(last) as Record<string, unknown> | null
        const carried = (route === 'responses' ? data : data?.error) as { message?: string; code?: string }
        expect(carried?.message).toBe('The upstream model crashed mid-answer.')
        expect(carried?.code).toBe('server_error')
        await sleep(300)
        expect(upstream.calls).toBe(1)
      } finally {
        await closeAll()
        await upstream.close()
      }
    },
  )

  it('S9 slow body: a client that stops sending its body is cut at requestTimeoutMs with a 408 envelope, slot freed', async () => {
    const h = await startRelay({ relay: { requestTimeoutMs: 500, headersTimeoutMs: 300 } })
    const partial = '{"model":"gpt-5.5","messages":[{"role":"user","content":"hel'
    const { response, closedByServer } = await rawRequest(
      h.url,
      frameRequest(
        'POST',
        '/v1/chat/completions',
        {
          authorization: `Bearer ${h.token}`,
          'content-type': 'application/json',
          'content-length': '4096',
          connection: 'keep-alive',
        },
        partial,
      ),
      8000,
    )
    expect(closedByServer).toBe(true)
    expect(response?.status).toBe(408)
    expect(response?.headers['x-request-id']).toMatch(/^req_/)
    expect(JSON.parse(response?.body.toString('utf8') ?? '{}')).toEqual({
      error: {
        message: 'The request was not received in time.',
        type: 'invalid_request_error',
        param: null,
        code: 'request_timeout',
      },
    })
    await eventually(
      async () => (await h.status()).security.client?.active_requests === 1, // the status call itself
    )
    expect(upstreamCalls(h.emu)).toBe(0)
  })

  it('S9 requestTimeoutMs covers receiving the request only: a stream 4x longer completes', async () => {
    const h = await startRelay({ relay: { requestTimeoutMs: 400, headersTimeoutMs: 300 } })
    h.emu.script({ kind: 'pace', events: 16, gapMs: 100 })
    const started = Date.now()
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: streamBody('chat/completions'),
    })
    expect(res.status).toBe(200)
    const { frames, error } = await readSse(res.body as ReadableStream<Uint8Array>)
    expect(error).toBeNull()
    expect(Date.now() - started).toBeGreaterThan(4 * 400)
    expect(frames.at(-1)?.text).toBe('data: [DONE]')
    expect(frames.some((f) => f.text.includes('"error"'))).toBe(false)
  })
})

import { eventually, frameData } from '@airelays/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay()
})
afterAll(() => h?.close())

/** Frames of an SSE body as they arrive, read on demand. */
class FrameReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #decoder = new TextDecoder()
  #buffer = ''

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader()
  }

  /** The next frame whose `event:` is `event` (others skipped). */
  async next(event: string): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n')
      if (end >= 0) {
        const frame = this.#buffer.slice(0, end)
        this.#buffer = this.#buffer.slice(end + 2)
        if (frame.split('\n').includes(`event: ${event}`)) return frame
        continue
      }
      const { done, value } = await this.#reader.read()
      if (done) throw new Error(`stream ended before an '${event}' event`)
      this.#buffer += this.#decoder.decode(value, { stream: true })
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel()
  }
}

describe('dashboard shell and assets', () => {
  it('serves the shell publicly, under a strict CSP, revealing nothing', async () => {
    const res = await h.fetch('/', { auth: false })
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await res.text()
    expect(page).toContain('data-auth="token"')
    expect(page).not.toContain(h.token)
    expect(page).not.toMatch(/dev@example\.com|account|http:\/\//)
  })

  it('tells the page when the relay is open (no token prompt), and the APIs then answer without one', async () => {
    const open = await startRelay({ token: false, env: { AIRELAYS_REQUIRE_BEARER_AUTH: 'false' } })
    try {
      expect(await (await open.fetch('/', { auth: false })).text()).toContain('data-auth="open"')
      expect((await open.fetch('/v1/relay/traffic', { auth: false })).status).toBe(200)
    } finally {
      await open.close()
    }
  })

  it('serves the bundled script and style sheet with caching headers', async () => {
    const page = await (await h.fetch('/', { auth: false })).text()
    const scriptUrl = /src="([^"]+app\.js\?v=[0-9a-f]+)"/.exec(page)?.[1] as string
    const styleUrl = /href="([^"]+app\.css\?v=[0-9a-f]+)"/.exec(page)?.[1] as string
    const script = await h.fetch(scriptUrl, { auth: false })
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toContain('text/javascript')
    expect(script.headers.get('cache-control')).toContain('immutable')
    const code = await script.text()
    expect(code).toContain('airelays.dashboard.token')
    expect(code).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)[a-z]/i)
    const again = await h.fetch(scriptUrl, {
      auth: false,
      headers: { 'if-none-match': script.headers.get('etag') ?? '' },
    })
    expect(again.status).toBe(304)
    const style = await h.fetch(styleUrl, { auth: false })
    expect(style.status).toBe(200)
    expect(style.headers.get('content-type')).toContain('text/css')
    const unversioned = await h.fetch('/dashboard/app.js', { auth: false })
    expect(unversioned.headers.get('cache-control')).toBe('no-cache')
  })
})

describe('dashboard APIs', () => {
  it('need the relay token', async () => {
    for (const path of ['/v1/relay/traffic', '/v1/relay/traffic/stream', '/v1/relay/traffic/req_x']) {
      const res = await h.fetch(path, { auth: false })
      expect(res.status, path).toBe(401)
      const bad = await h.fetch(path, { auth: false, headers: { authorization: 'Bearer nope' } })
      expect(bad.status, path).toBe(401)
    }
  })

  it('refuse a cross-site browser', async () => {
    const res = await h.fetch('/v1/relay/traffic/stream', { headers: { origin: 'https://evil.example' } })
    expect(res.status).toBe(403)
    await res.body?.cancel()
  })

  it('report health figures', async () => {
    const res = await h.fetch('/v1/relay/traffic')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      object: 'relay.traffic',
      in_flight: 0,
      require_bearer_auth: true,
      client_version: expect.any(String),
      uptime_seconds: expect.any(Number),
      last_hour: { requests: expect.any(Number), errors: expect.any(Number) },
    })
  })

  it('stream a request made through the relay, with its redacted records', async () => {
    const res = await h.fetch('/v1/relay/traffic/stream')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const frames = new FrameReader(res.body as ReadableStream<Uint8Array>)
    try {
      await frames.next('ready')
      const completion = await h.openai().chat.completions.create({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: `the relay token is ${h.token}` }],
      })
      expect(completion.choices[0]?.message.content).toBeTruthy()
      let entry: Record<string, unknown>
      do {
        entry = frameData(await frames.next('request')) as Record<string, unknown>
      } while (entry.route !== '/v1/chat/completions')
      expect(entry).toMatchObject({
        method: 'POST',
        route: '/v1/chat/completions',
        model: expect.stringContaining('gpt-5.5'),
        status: 200,
        outcome: 'completed',
        has_detail: true,
        tokens_in: expect.any(Number),
        tokens_out: expect.any(Number),
      })
      expect(JSON.stringify(entry)).not.toContain(h.token)

      const detail = await h.fetch(`/v1/relay/traffic/${entry.request_id}`)
      expect(detail.status).toBe(200)
      const text = await detail.text()
      const body = JSON.parse(text) as { records: { phase: string; request_id: string }[] }
      const phases = body.records.map((r) => r.phase)
      expect(phases[0]).toBe('inbound_request')
      expect(phases).toContain('outbound_response')
      expect(text).not.toContain(h.token)
      expect(text).toContain('the relay token is [REDACTED]')
      expect(text).toContain('"authorization":"[REDACTED]"')
      // the very records the traffic log wrote to disk, redacted the same way
      const onDisk = await eventually(async () => {
        const records = (await h.logRecords()).filter((r) => r.request_id === entry.request_id)
        return records.some((r) => r.phase === 'outbound_response') ? records : null
      })
      expect(body.records).toEqual(onDisk)

      const summary = (await (await h.fetch('/v1/relay/traffic')).json()) as {
        recent: { request_id: string }[]
        last_hour: { requests: number }
        subscribers: number
      }
      expect(summary.recent.map((r) => r.request_id)).toContain(entry.request_id)
      expect(summary.last_hour.requests).toBeGreaterThan(0)
      expect(summary.subscribers).toBe(1)
    } finally {
      await frames.cancel()
    }
  })

  it('answer 404 for a request whose records are not kept', async () => {
    const res = await h.fetch('/v1/relay/traffic/req_unknown')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found')
  })

  it('are not themselves listed as traffic', async () => {
    const before = ((await (await h.fetch('/v1/relay/traffic')).json()) as { requests_total: number })
      .requests_total
    await h.fetch('/v1/relay/traffic')
    await h.fetch('/dashboard/app.css', { auth: false })
    const after = ((await (await h.fetch('/v1/relay/traffic')).json()) as { requests_total: number })
      .requests_total
    expect(after).toBe(before)
  })
})

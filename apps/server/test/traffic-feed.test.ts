import { eventually } from '@airelays/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TrafficEntry, TrafficFeed } from '../src/dashboard/traffic-feed'
import { SecretSet } from '../src/logging/redact'
import { BodySnapshot, type PendingRecord, recordLine } from '../src/logging/traffic-log'
import { type RelayHarness, startRelay } from './_setup'

/** Calls of the `inbound_request` fields builders of {@link request}. */
let built = 0

/** Feed one finished request through the tap, as the traffic log would. */
function request(feed: TrafficFeed, id: string, at: number, status = 200): void {
  feed.tap({
    at,
    requestId: id,
    phase: 'inbound_request',
    fields: () => {
      built++
      return {
        method: 'POST',
        path: '/v1/responses',
        body: new BodySnapshot(null, 'application/json', { model: 'gpt-5.5', input: 'hi' }),
      }
    },
  })
  feed.tap({
    at: at + 5,
    requestId: id,
    phase: 'outbound_response',
    fields: {
      status_code: status,
      duration_ms: 5,
      usage: { input_tokens: 10, output_tokens: 2, input_tokens_details: { cached_tokens: 4 } },
    },
  })
}

describe('TrafficFeed', () => {
  it('summarises requests off the tap call and counts the last hour per minute', async () => {
    let now = 1_800_000_000_000
    const feed = new TrafficFeed({ secrets: new SecretSet(), now: () => now })
    built = 0
    request(feed, 'req_a', now)
    request(feed, 'req_b', now + 61_000, 502)
    expect(built).toBe(0) // nothing is built inside the tap itself
    await eventually(() => built === 2, 10_000, 20, 'the batch read') // on its own, after batchMs
    expect(built).toBe(2)
    const [a, b] = feed.recent() as [TrafficEntry, TrafficEntry]
    expect(a).toMatchObject({
      request_id: 'req_a',
      route: '/v1/responses',
      model: 'gpt-5.5',
      status: 200,
      tokens_in: 10,
      tokens_out: 2,
      cached_tokens: 4,
      has_detail: false,
    })
    expect(b.status).toBe(502)
    now += 120_000
    expect(feed.lastHour()).toEqual({ requests: 2, errors: 1, tokens_in: 20, tokens_out: 4 })
    expect(feed.minutes()).toHaveLength(2)
    now += 3_600_000
    expect(feed.lastHour().requests).toBe(0)
  })

  it('bounds each subscriber: the oldest events go first and the loss is reported', async () => {
    const now = 1_800_000_000_000
    const feed = new TrafficFeed({ secrets: new SecretSet(), now: () => now, subscriberQueue: 3 })
    const slow = feed.subscribe()
    for (let i = 0; i < 10; i++) request(feed, `req_${i}`, now + i)
    expect(slow.drain()).toEqual([]) // sent once per batch, not per record
    feed.flush()
    const events = slow.drain()
    expect(events[0]).toEqual({ kind: 'dropped', count: 7 })
    expect(events.slice(1).map((e) => (e.kind === 'request' ? e.entry.request_id : null))).toEqual([
      'req_7',
      'req_8',
      'req_9',
    ])
    expect(slow.drain()).toEqual([])
    expect(feed.detail('req_9')).not.toBeNull()
    slow.close()
    expect(feed.subscribers).toBe(0)
  })

  it('keeps only the first and last record of a request while nobody watches', () => {
    const now = 1_800_000_000_000
    const lines: string[] = []
    const feed = new TrafficFeed({
      secrets: new SecretSet(),
      now: () => now,
      line: (rec) => {
        lines.push(rec.phase)
        return recordLine(rec, new SecretSet())
      },
    })
    let read = 0
    const middle: PendingRecord = {
      at: now,
      requestId: 'req_a',
      phase: 'upstream_request',
      get fields() {
        read++
        return {}
      },
    }
    request(feed, 'req_0', now)
    feed.tap(middle)
    feed.flush()
    expect(read).toBe(0)
    expect(lines).toEqual([])
    expect(feed.recent()[0]).toMatchObject({ request_id: 'req_0', has_detail: false })
    expect(feed.detail('req_0')).toBeNull()
  })

  it('shares the log line but never one scrubbed before a secret was learnt', () => {
    const now = 1_800_000_000_000
    const secrets = new SecretSet()
    const feed = new TrafficFeed({ secrets, now: () => now })
    const sub = feed.subscribe()
    const secret = 'sk-upstream-secret-0123456789'
    const inbound: PendingRecord = {
      at: now,
      requestId: 'req_s',
      phase: 'inbound_request',
      fields: { method: 'POST', path: '/v1/responses', note: `quoting ${secret}` },
    }
    const outbound: PendingRecord = {
      at: now + 1,
      requestId: 'req_s',
      phase: 'outbound_response',
      fields: { status_code: 200, duration_ms: 1 },
    }
    feed.tap(inbound)
    feed.tap(outbound)
    // the file writer serialised it first, before the secret was known
    const early = recordLine(inbound, secrets)
    expect(early).toContain(secret)
    expect(recordLine(inbound, secrets)).toBe(early) // reused while the secrets are unchanged
    secrets.add(secret)
    secrets.add(secret) // adding a known secret again changes nothing
    const version = secrets.version
    secrets.add(secret)
    expect(secrets.version).toBe(version)
    const text = JSON.stringify(feed.detail('req_s'))
    expect(text).not.toContain(secret)
    expect(text).toContain('quoting [REDACTED]')
    expect(recordLine(inbound, secrets)).not.toContain(secret)
    sub.close()
  })
})

describe('the traffic stream and the relay', () => {
  let h: RelayHarness
  beforeAll(async () => {
    h = await startRelay()
  })
  afterAll(() => h?.close())

  const subscribers = async (): Promise<number> =>
    ((await (await h.fetch('/v1/relay/traffic')).json()) as { subscribers: number }).subscribers

  it('lets go of a subscriber whose client went away', async () => {
    const controller = new AbortController()
    const res = await h.fetch('/v1/relay/traffic/stream', { signal: controller.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    expect(await subscribers()).toBe(1)
    controller.abort()
    await eventually(async () => (await subscribers()) === 0, 10_000, 20, 'subscriber released')
  })

  it('holds no concurrency slot and ends when the relay shuts down', async () => {
    const own = await startRelay({ env: { AIRELAYS_CONCURRENT_REQUESTS_PER_IP: '1' } })
    try {
      expect(own.config.security.concurrent_requests_per_ip).toBe(1)
      const res = await own.fetch('/v1/relay/traffic/stream')
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      expect((await own.fetch('/v1/models')).status).toBe(200)
      const closed = own.relay.close()
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true }))
        if (chunk.done) break
      }
      await closed
    } finally {
      await own.close()
    }
  })
})

// B11 groups A and R — the relay token, brute-force blocking and the per-IP limits.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateRelayToken, writeRelayToken } from '@airelays/auth-store'
import { createRateLimiter } from '@airelays/ratelimit'
import { createRelayApp } from '@airelays/server'
import { createUpstreamEmulator } from '@airelays/upstream-emulator'
import { Agent, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  chatBody,
  closeAll,
  eventually,
  fakeClock,
  isEnvelope,
  JSON_HEADERS,
  type RelayHarness,
  relayConfig,
  sleep,
  startRelay,
  upstreamCalls,
} from './_harness'

afterEach(closeAll)

let agent: Agent
beforeAll(() => {
  agent = new Agent({ connections: 64, pipelining: 1 })
})
afterAll(async () => {
  await agent.close()
})

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** GET through a keep-alive undici agent; returns status, headers and parsed body. */
async function get(
  h: RelayHarness,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const res = await request(`${h.url}${path}`, { method: 'GET', headers, dispatcher: agent })
  const text = await res.body.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v.join(', ') : String(v)
  return { status: res.statusCode, headers: out, body }
}

function code(body: unknown): string | null {
  return isEnvelope(body) ? body.error.code : null
}

/** A token of the same length with one character changed at `index`. */
function flip(token: string, index: number): string {
  const c = token[index] === 'A' ? 'B' : 'A'
  return token.slice(0, index) + c + token.slice(index + 1)
}

describe('A — relay token and brute force', () => {
  it('A1 relay token generation: 32 CSPRNG bytes, base64url, unique, stored 0600 via temp + rename', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const token = generateRelayToken()
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(token, 'base64url')).toHaveLength(32)
      seen.add(token)
    }
    expect(seen.size).toBe(2000)
    const dir = await mkdtemp(join(tmpdir(), 'airelays-b11-a1-'))
    try {
      const file = join(dir, 'relay-token')
      await writeFile(file, 'old-token\n', { mode: 0o644 })
      const before = await stat(file)
      expect(before.mode & 0o777).toBe(0o644)
      const token = generateRelayToken()
      await writeRelayToken(file, token)
      const after = await stat(file)
      expect(after.mode & 0o777).toBe(0o600)
      // Replaced by rename, not rewritten in place.
      expect(after.ino).not.toBe(before.ino)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('A1 the relay never shows its token: status carries a fingerprint only', async () => {
    const h = await startRelay()
    const status = await get(h, '/v1/relay/status', bearer(h.token))
    expect(status.status).toBe(200)
    expect(JSON.stringify(status.body)).not.toContain(h.token)
    const index = await get(h, '/')
    expect(index.status).toBe(200)
    expect(String(index.body)).not.toContain(h.token)
  })

  it('A2 wrong token of any length, empty, Basic, bare: 401 with WWW-Authenticate: Bearer, no exception', async () => {
    const h = await startRelay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '1000' } })
    const t = h.token
    const attempts: (string | undefined)[] = [
      undefined,
      'Bearer x',
      `Bearer ${t}x`,
      `Bearer ${t.slice(0, -1)}`,
      `Bearer ${flip(t, 0)}`,
      `Bearer ${flip(t, t.length - 1)}`,
      `Bearer ${'é'.repeat(t.length)}`,
      `Bearer ${'z'.repeat(8000)}`,
      'Bearer ',
      'Bearer',
      `Basic ${Buffer.from(`user:${t}`).toString('base64')}`,
      `Basic ${t}`,
      `Token ${t}`,
      t,
      `bearer ${flip(t, 3)}`,
      `Bearer\t${flip(t, 5)}`,
    ]
    for (const authorization of attempts) {
      const res = await get(h, '/v1/models', authorization === undefined ? {} : { authorization })
      expect(res.status, String(authorization).slice(0, 40)).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.body).toEqual({
        error: {
          message: 'Missing or invalid AIRelays bearer token.',
          type: 'authentication_error',
          param: null,
          code: 'invalid_api_key',
        },
      })
    }
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      expect((await get(h, '/v1/models', { authorization: `${scheme} ${t}` })).status).toBe(200)
    }
    const records = await h.logRecords()
    expect(records.some((r) => r.phase === 'relay_error')).toBe(false)
    expect(h.logger.errors).toEqual([])
  })

  it('A3 comparison timing: a wrong first byte and a wrong last byte are indistinguishable', async () => {
    const emu = await createUpstreamEmulator()
    const dataDir = await mkdtemp(join(tmpdir(), 'airelays-b11-a3-'))
    try {
      const config = await relayConfig(dataDir, emu, {
        AIRELAYS_RATE_LIMIT_BURST: '100000000',
        AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000000',
        AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100000000',
      })
      const token = generateRelayToken()
      const app = createRelayApp({ config, relayToken: token, trafficLog: false })
      const arms = [flip(token, 0), flip(token, token.length - 1)]
      const headers = arms.map((t) => ({ authorization: `Bearer ${t}` }))
      const once = async (arm: number): Promise<number> => {
        const started = process.hrtime.bigint()
        const res = await app.fetch(
          new Request('http://127.0.0.1/v1/models', { headers: headers[arm] as Record<string, string> }),
        )
        await res.arrayBuffer()
        const elapsed = Number(process.hrtime.bigint() - started)
        if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`)
        return elapsed
      }
      for (let i = 0; i < 3000; i++) await once(i % 2)
      const samples: [number[], number[]] = [[], []]
      // 20k requests in random A/B order (seeded), so drift hits both arms alike.
      let seed = 0x5eed
      for (let i = 0; i < 10_000; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        const firstArm = seed & 1
        samples[firstArm]?.push(await once(firstArm))
        samples[1 - firstArm]?.push(await once(1 - firstArm))
      }
      const [a, b] = samples
      const medA = median(a)
      const medB = median(b)
      const delta = Math.abs(medA - medB) / Math.min(medA, medB)
      const p = mannWhitneyP(a, b)
      console.info(
        `A3 median wrong-first ${(medA / 1000).toFixed(1)} µs, wrong-last ${(medB / 1000).toFixed(1)} µs, Δ ${(delta * 100).toFixed(2)} %, Mann-Whitney p = ${p.toFixed(4)}`,
      )
      expect(delta).toBeLessThan(0.02)
      // α = 0.001: a constant-time comparison fails this one run in a thousand.
      expect(p).toBeGreaterThan(0.001)
    } finally {
      await emu.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('A4 invalid-token flood of 5,000: block after 8 failures, 0 upstream calls', async () => {
    const h = await startRelay()
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await get(h, '/v1/models', bearer(`wrong-${i}`))).status)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429])
    const counts = new Map<string, number>()
    let next = 10
    const worker = async (): Promise<void> => {
      while (next < 5000) {
        const i = next++
        const res = await get(h, i % 2 ? '/v1/chat/completions' : '/v1/models', bearer(`flood-${i}`))
        const key = `${res.status} ${code(res.body)}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    expect(Object.fromEntries(counts)).toEqual({ '429 ip_temporarily_blocked': 4990 })
    expect(h.emu.requests).toHaveLength(0)
  })

  it('A5 loopback lockout: a stale local tool cannot lock out the valid token; a remote IP stays blocked', async () => {
    const clock = fakeClock()
    const h = await startRelay({
      env: { AIRELAYS_TRUST_X_FORWARDED_FOR: 'true' },
      relay: { clock: clock.now },
    })
    for (let i = 0; i < 8; i++) expect((await get(h, '/v1/models', bearer(`stale-${i}`))).status).toBe(401)
    const blocked = await get(h, '/v1/models')
    expect(blocked.status).toBe(429)
    expect(code(blocked.body)).toBe('ip_temporarily_blocked')
    expect(blocked.headers['retry-after']).toBe('900')
    expect((blocked.body as { error: { message: string } }).error.message).toBe(
      'Too many invalid authentication attempts from this IP.',
    )
    expect((await get(h, '/v1/models', bearer('still-wrong'))).status).toBe(429)
    // Design decision 3.3: the valid token from loopback is still served during the block.
    expect((await get(h, '/v1/models', bearer(h.token))).status).toBe(200)
    // A remote client (trusted X-Forwarded-For) is blocked for every request, valid token included.
    const remote = { 'x-forwarded-for': '203.0.113.7' }
    for (let i = 0; i < 8; i++)
      expect((await get(h, '/v1/models', { ...remote, ...bearer(`guess-${i}`) })).status).toBe(401)
    const remoteBlocked = await get(h, '/v1/models', { ...remote, ...bearer(h.token) })
    expect(remoteBlocked.status).toBe(429)
    expect(code(remoteBlocked.body)).toBe('ip_temporarily_blocked')
  })

  it('A6 block expiry and failure window follow the (fake) clock', async () => {
    const clock = fakeClock()
    const h = await startRelay({ relay: { clock: clock.now } })
    for (let i = 0; i < 8; i++) await get(h, '/v1/models', bearer(`bad-${i}`))
    expect((await get(h, '/v1/models')).status).toBe(429)
    clock.advance(899_000)
    const late = await get(h, '/v1/models')
    expect(late.status).toBe(429)
    expect(late.headers['retry-after']).toBe('1')
    clock.advance(1_000)
    expect((await get(h, '/v1/models')).status).toBe(401)
    expect((await get(h, '/v1/models', bearer(h.token))).status).toBe(200)
    // After the block the count starts from zero (the 401 above is failure 1).
    for (let i = 0; i < 6; i++) expect((await get(h, '/v1/models', bearer(`w-${i}`))).status).toBe(401)
    // Failures older than the window (300 s) do not count.
    clock.advance(301_000)
    for (let i = 0; i < 7; i++) expect((await get(h, '/v1/models', bearer(`x-${i}`))).status).toBe(401)
    const status = await get(h, '/v1/relay/status', bearer(h.token))
    const client = (status.body as { security: { client: Record<string, number> } }).security.client
    expect(client.failed_auth_attempts).toBe(7)
    expect(client.blocked_for_seconds).toBe(0)
    expect((await get(h, '/v1/models', bearer('y'))).status).toBe(401)
    expect((await get(h, '/v1/models')).status).toBe(429)
  })

  it('A7 a token in the query string is ignored (401) and never logged', async () => {
    const h = await startRelay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '1000' } })
    for (const name of ['key', 'api_key', 'api-key', 'apikey', 'access_token', 'token', 'auth']) {
      const res = await get(h, `/v1/models?${name}=${encodeURIComponent(h.token)}`)
      expect(res.status).toBe(401)
    }
    // Credential-like query parameters next to a valid header are redacted from the inbound record.
    const other = randomBytes(24).toString('base64url')
    for (const name of ['key', 'api_key', 'access_token', 'token', 'auth']) {
      expect((await get(h, `/v1/models?${name}=${other}`, bearer(h.token))).status).toBe(200)
    }
    await eventually(
      async () => (await h.logRecords()).filter((r) => r.phase === 'inbound_request').length >= 5,
    )
    const text = (await h.logLines()).join('\n')
    expect(text).not.toContain(h.token)
    expect(text).not.toContain(other)
  })

  it('A8 X-Forwarded-For is ignored unless trusted: limits key on the socket IP', async () => {
    const clock = fakeClock()
    const h = await startRelay({ env: { AIRELAYS_RATE_LIMIT_BURST: '12' }, relay: { clock: clock.now } })
    const xff = (i: number): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${i}, 10.0.0.1` })
    for (let i = 0; i < 8; i++)
      expect((await get(h, '/v1/models', { ...xff(i), ...bearer(`no-${i}`) })).status).toBe(401)
    const spoofed = await get(h, '/v1/models', xff(99))
    expect(spoofed.status).toBe(429)
    expect(code(spoofed.body)).toBe('ip_temporarily_blocked')
    const status = await get(h, '/v1/relay/status', { ...xff(50), ...bearer(h.token) })
    const security = (status.body as { security: { tracked_clients: number; client: { ip: string } } })
      .security
    expect(security.client.ip).toBe('127.0.0.1')
    expect(security.tracked_clients).toBe(1)
    // One token bucket (burst 12) whatever the header says: 8 failures + the status call took 9.
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await get(h, '/v1/models', { ...xff(60 + i), ...bearer(h.token) })
      statuses.push(res.status)
      if (res.status === 429) expect(code(res.body)).toBe('rate_limit_exceeded')
    }
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})

describe('R — rate limits and concurrency', () => {
  it('R1 token bucket: 40 pass, the 41st gets 429 rate_limit_exceeded with Retry-After: 1, then 2 per second', async () => {
    const clock = fakeClock()
    const h = await startRelay({ relay: { clock: clock.now } })
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) statuses.push((await get(h, '/v1/models', bearer(h.token))).status)
    expect(statuses.every((s) => s === 200)).toBe(true)
    const over = await get(h, '/v1/models', bearer(h.token))
    expect(over.status).toBe(429)
    expect(code(over.body)).toBe('rate_limit_exceeded')
    expect(over.headers['retry-after']).toBe('1')
    expect((over.body as { error: { message: string } }).error.message).toBe(
      'Request rate limit exceeded for this IP.',
    )
    clock.advance(1000)
    expect((await get(h, '/v1/models', bearer(h.token))).status).toBe(200)
    expect((await get(h, '/v1/models', bearer(h.token))).status).toBe(200)
    expect((await get(h, '/v1/models', bearer(h.token))).status).toBe(429)
  })

  it('R2 Retry-After is always whole seconds >= 1, from every source', async () => {
    const seen: string[] = []
    const clock = fakeClock()
    const h = await startRelay({
      env: { AIRELAYS_RATE_LIMIT_PER_MINUTE: '7', AIRELAYS_RATE_LIMIT_BURST: '3' },
      relay: { clock: clock.now },
    })
    const collect = (res: { status: number; headers: Record<string, string> }): void => {
      expect([429, 503], JSON.stringify(res)).toContain(res.status)
      seen.push(res.headers['retry-after'] as string)
    }
    // Upstream 429s: a fractional reset, an HTTP-date Retry-After, a usage limit resetting now.
    h.emu.script({
      kind: 'http_error',
      status: 429,
      body: {
        error: {
          type: 'usage_limit_reached',
          message: 'The usage limit has been reached',
          resets_in_seconds: 2.5,
        },
      },
    })
    const fractional = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(),
    })
    collect({
      status: fractional.status,
      headers: { 'retry-after': fractional.headers.get('retry-after') ?? '' },
    })
    expect(fractional.headers.get('retry-after')).toBe('3')
    clock.advance(60_000)
    h.emu.script({
      kind: 'http_error',
      status: 429,
      headers: { 'retry-after': new Date(clock.now() + 5_000).toUTCString() },
    })
    const dated = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(),
    })
    collect({ status: dated.status, headers: { 'retry-after': dated.headers.get('retry-after') ?? '' } })
    clock.advance(60_000)
    // Resets "now": every retry hits the limit again, and the answer still says at least 1 s.
    h.emu.script(...Array.from({ length: 4 }, () => ({ kind: 'usage_limit' as const, resetsInSeconds: 0 })))
    const quota = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: chatBody(),
    })
    collect({ status: quota.status, headers: { 'retry-after': quota.headers.get('retry-after') ?? '' } })
    expect(quota.headers.get('retry-after')).toBe('1')
    // Token bucket refilling 7/min: the next token is 8.57 s away.
    clock.advance(60_000)
    for (let i = 0; i < 3; i++) await get(h, '/v1/models', bearer(h.token))
    const bucket = await get(h, '/v1/models', bearer(h.token))
    expect(bucket.headers['retry-after']).toBe('9')
    collect(bucket)
    // Block with a fractional remainder.
    clock.advance(600_000)
    for (let i = 0; i < 8; i++) {
      clock.advance(9_000)
      await get(h, '/v1/models', bearer(`bad-${i}`))
    }
    clock.advance(300)
    const block = await get(h, '/v1/models')
    collect(block)
    expect(block.headers['retry-after']).toBe('900')
    expect(seen).toHaveLength(5)
    for (const value of seen) {
      expect(value).toMatch(/^\d+$/)
      expect(Number(value)).toBeGreaterThanOrEqual(1)
    }
  })

  it('R3 concurrency cap 50: the 51st simultaneous slow non-stream request gets 429 too_many_concurrent_requests', async () => {
    const h = await startRelay({ env: { AIRELAYS_RATE_LIMIT_BURST: '500' } })
    h.emu.script(...Array.from({ length: 50 }, () => ({ kind: 'delay' as const, ms: 10_000 })))
    const ac = new AbortController()
    const slow = Array.from({ length: 50 }, () =>
      h
        .fetch('/v1/chat/completions', {
          method: 'POST',
          headers: JSON_HEADERS,
          body: chatBody(),
          signal: ac.signal,
        })
        .catch(() => null),
    )
    await eventually(() => h.emu.stats().inFlight === 50, 10_000, 20, '50 upstream calls in flight')
    const extra = await get(h, '/v1/models', bearer(h.token))
    expect(extra.status).toBe(429)
    expect(code(extra.body)).toBe('too_many_concurrent_requests')
    expect(extra.headers['retry-after']).toBe('1')
    ac.abort()
    await Promise.all(slow)
    await eventually(async () => (await get(h, '/v1/models', bearer(h.token))).status === 200, 3000)
    const status = await get(h, '/v1/relay/status', bearer(h.token))
    const client = (status.body as { security: { client: { active_requests: number } } }).security.client
    expect(client.active_requests).toBe(1)
  })

  it('R4 concurrency with streams: a slot lives as long as the stream, never leaks or goes negative', async () => {
    const h = await startRelay({
      env: { AIRELAYS_RATE_LIMIT_BURST: '1000', AIRELAYS_TRUST_X_FORWARDED_FOR: 'true' },
    })
    const ip = { 'x-forwarded-for': '198.51.100.1' }
    const active = async (): Promise<number | null> => {
      const res = await get(h, '/v1/relay/status', { ...ip, ...bearer(h.token) })
      if (res.status !== 200) return null
      return (
        (res.body as { security: { client: { active_requests: number } } }).security.client.active_requests -
        1
      )
    }
    const open = (n: number, signal?: AbortSignal) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          h.emu.script({ kind: 'pace', events: 40, gapMs: 50 })
          const res = await h.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { ...JSON_HEADERS, ...ip },
            body: chatBody('Tell me a long story.', { stream: true }),
            ...(signal ? { signal } : {}),
          })
          return res
        }),
      )
    h.emu.script(...Array.from({ length: 60 }, () => ({ kind: 'pace' as const, events: 40, gapMs: 50 })))
    const controllers = Array.from({ length: 60 }, () => new AbortController())
    let i = 0
    const first = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const ac = controllers[i++] as AbortController
        const res = await h.fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { ...JSON_HEADERS, ...ip },
          body: chatBody('Tell me a long story.', { stream: true }),
          signal: ac.signal,
        })
        return { res, ac }
      }),
    )
    const accepted = first.filter((x) => x.res.status === 200)
    const rejected = first.filter((x) => x.res.status === 429)
    expect(accepted).toHaveLength(50)
    expect(rejected).toHaveLength(10)
    for (const r of rejected) expect(code(await r.res.json())).toBe('too_many_concurrent_requests')
    // The 50 streams hold every slot: even the status request is refused.
    expect(await active()).toBeNull()
    // Abort half of them; the other half are read to the end.
    const aborted = accepted.slice(0, 25)
    const finished = accepted.slice(25)
    for (const x of aborted) x.ac.abort()
    await eventually(async () => (await active()) === 25, 3000, 20, '25 slots after 25 aborts')
    await Promise.all(finished.map((x) => x.res.text()))
    await eventually(async () => (await active()) === 0, 3000, 20, '0 slots after all ended')
    // No leak and no negative count: exactly 50 fit again.
    const again = await open(51)
    const ok = again.filter((r) => r.status === 200)
    expect(ok).toHaveLength(50)
    expect(again.filter((r) => r.status === 429)).toHaveLength(1)
    await Promise.all(again.map((r) => r.body?.cancel().catch(() => {})))
    await eventually(async () => (await active()) === 0, 3000, 20, '0 slots after cancel')
  })

  it('R5 limiter memory: 100k distinct clients are tracked within the cap and evicted after max(window, block, 3600) s', () => {
    const clock = fakeClock(0)
    const limiter = createRateLimiter({ clock: clock.now })
    expect(limiter.settings.idleSeconds).toBe(3600)
    for (let i = 0; i < 100_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
      const admission = limiter.admit(ip, { credentialValid: true })
      if (!admission.ok) throw new Error('unexpected rejection')
      admission.release()
    }
    expect(limiter.snapshot().tracked_clients).toBe(100_000)
    // One more distinct client: the hard cap (100k) holds.
    for (let i = 0; i < 5_000; i++) {
      const admission = limiter.admit(`172.16.${i >> 8}.${i & 255}`, { credentialValid: true })
      if (admission.ok) admission.release()
    }
    expect(limiter.snapshot().tracked_clients).toBeLessThanOrEqual(100_000)
    // A blocked client and one holding a slot survive the idle horizon; the rest are dropped.
    for (let i = 0; i < 8; i++) limiter.recordFailure('192.0.2.1')
    const held = limiter.admit('192.0.2.2', { credentialValid: true })
    clock.advance(3_599_000)
    expect(limiter.snapshot().tracked_clients).toBeGreaterThan(2)
    clock.advance(2_000)
    expect(limiter.snapshot().tracked_clients).toBe(1)
    if (held.ok) held.release()
    clock.advance(3_601_000)
    expect(limiter.snapshot().tracked_clients).toBe(0)
  })

  it('R5 through the relay: idle per-IP state is evicted after 3600 s', async () => {
    const clock = fakeClock()
    const h = await startRelay({
      env: { AIRELAYS_TRUST_X_FORWARDED_FOR: 'true' },
      relay: { clock: clock.now },
    })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < 2000) {
        const i = next++
        const res = await get(h, '/healthz')
        expect(res.status).toBe(200)
        const r = await get(h, '/v1/models', {
          'x-forwarded-for': `10.9.${i >> 8}.${i & 255}`,
          ...bearer(h.token),
        })
        expect(r.status).toBe(200)
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    const tracked = async (): Promise<number> => {
      const res = await get(h, '/v1/relay/status', { 'x-forwarded-for': '10.10.10.10', ...bearer(h.token) })
      return (res.body as { security: { tracked_clients: number } }).security.tracked_clients
    }
    expect(await tracked()).toBe(2001)
    clock.advance(3_601_000)
    expect(await tracked()).toBe(1)
    await sleep(0)
    expect(upstreamCalls(h.emu, 'models')).toBeGreaterThanOrEqual(1)
  })
})

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Two-sided Mann-Whitney U test, normal approximation with tie correction. */
function mannWhitneyP(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v)
  const ranks = new Array<number>(all.length)
  let tieTerm = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j + 1 < all.length && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) ranks[k] = rank
    const t = j - i + 1
    tieTerm += t * t * t - t
    i = j + 1
  }
  let rankSumA = 0
  all.forEach((x, i) => {
    if (x.g === 0) rankSumA += ranks[i] as number
  })
  const n1 = a.length
  const n2 = b.length
  const u = rankSumA - (n1 * (n1 + 1)) / 2
  const mean = (n1 * n2) / 2
  const n = n1 + n2
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
  const z = Math.abs(u - mean) / sd
  return 2 * (1 - normalCdf(z))
}

function normalCdf(z: number): number {
  // Abramowitz-Stegun 7.1.26 for erf.
  const x = z / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x)
  return 0.5 * (1 + y)
}

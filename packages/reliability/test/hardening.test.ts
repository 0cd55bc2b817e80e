// Issue 26 — what an attack on the running relay found, one test per item (H1–H9). Each test
// reproduces the attack against a listening relay (in this process on 127.0.0.1:0, or in its own
// process for memory) and asserts the bound with counts and sizes, never with timings.
import { readFileSync } from 'node:fs'
import { chmod, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { rotateRelayToken } from '@airelays/auth-store'
import { createRelayApp, type HostLookup } from '@airelays/server'
import { closeAll, eventually, fakeClock, readSse, walkFiles } from '@airelays/test-utils'
import { Agent, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildChild, removeChildBuild, startChild, stopChildren } from './_child-harness'
import { isEnvelope, JSON_HEADERS, type RelayHarness, startRelay } from './_harness'
import { openSocket, rawRequest } from './_raw-http'
import { startRawUpstream, writeChunks } from './_raw-upstream'

afterEach(closeAll)

let agent: Agent
beforeAll(() => {
  agent = new Agent({ connections: 16, pipelining: 1 })
})
afterAll(async () => {
  await agent.close()
})

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

async function call(
  h: { url: string },
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; dispatcher?: Agent } = {},
): Promise<{ status: number; headers: Record<string, string>; body: unknown; text: string }> {
  const res = await request(`${h.url}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
    dispatcher: init.dispatcher ?? agent,
  })
  const text = await res.body.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v)
  return { status: res.statusCode, headers, body, text }
}

const codeOf = (body: unknown): string | null => (isEnvelope(body) ? body.error.code : null)

/** Total bytes of every stored log file, after the relay flushed and closed. */
async function closedLogBytes(h: RelayHarness): Promise<{ bytes: number; lines: string[] }> {
  await h.relay.close()
  const files = await h.logFiles()
  return {
    bytes: files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0),
    lines: files.flatMap((f) => f.text.split('\n').filter(Boolean)),
  }
}

describe('H1 disk fill without a token (item 1)', () => {
  it('requests without a token to paths outside /v1 go through the gate and log at most 2 KiB each', async () => {
    const h = await startRelay()
    const pad = 'a'.repeat(5_000)
    const paths = ['/nope', '/admin/../x', '/favicon.ico', `/${'p'.repeat(2_000)}`, '/v2/chat', '/healthz/x']
    const n = 120
    const statuses = new Map<number, number>()
    for (let i = 0; i < n; i++) {
      const path = `${paths[i % paths.length]}?q=${'z'.repeat(1_000)}&i=${i}`
      const res = await call(h, path, {
        method: i % 3 === 0 ? 'POST' : 'GET',
        headers: { 'x-pad-1': pad, 'x-pad-2': pad, 'user-agent': `probe-${i}` },
        ...(i % 3 === 0 ? { body: pad } : {}),
      })
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      expect(isEnvelope(res.body), path).toBe(true)
    }
    // The same gate as /v1: 401 until the address is blocked, then 429 — never a route's 404.
    expect([...statuses.keys()].filter((s) => s !== 401 && s !== 429)).toEqual([])
    const { bytes, lines } = await closedLogBytes(h)
    expect(bytes / n).toBeLessThanOrEqual(2_048)
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2_048 + 512)
    // With the token, an unknown path is still a 404 envelope.
    const h2 = await startRelay()
    const found = await call(h2, '/nope', { headers: bearer(h2.token) })
    expect(found.status).toBe(404)
    expect((await call(h2, '/healthz')).status).toBe(200)
    expect((await call(h2, '/')).status).toBe(200)
  })

  it('the log keeps at most max_request_log_bytes of a record and max_total_bytes in all', async () => {
    const h = await startRelay({
      env: {
        AIRELAYS_LOG_MAX_REQUEST_BYTES: '8192',
        AIRELAYS_LOG_MAX_TOTAL_BYTES: '200000',
        AIRELAYS_RATE_LIMIT_BURST: '1000',
      },
    })
    const n = 60
    for (let i = 0; i < n; i++) {
      // A 40 KB body that fails validation: logged, answered 400, never sent upstream.
      const res = await call(h, '/v1/chat/completions', {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...bearer(h.token) },
        body: JSON.stringify({ model: 'gpt-5.5', messages: 'x'.repeat(40_000), i }),
      })
      expect(res.status).toBe(400)
    }
    const { bytes, lines } = await closedLogBytes(h)
    expect(bytes).toBeLessThanOrEqual(200_000)
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(8_192)
    expect(lines.some((line) => line.includes('"truncated":true'))).toBe(true)
    expect(h.logger.errors.some((m) => m.includes('max_total_bytes'))).toBe(true)
  })
})

describe('H2 brute force from a blocked loopback address (item 2)', () => {
  it('a blocked address gets at most the bucket of answers: 1,000 guesses, 32 answered, then 2 per second', async () => {
    const clock = fakeClock()
    const h = await startRelay({ relay: { clock: clock.now } })
    for (let i = 0; i < 8; i++)
      expect((await call(h, '/v1/models', { headers: bearer(`bad-${i}`) })).status).toBe(401)
    let answered = 0
    let throttled = 0
    for (let i = 0; i < 1_000; i++) {
      const res = await call(h, '/v1/models', { headers: bearer(`guess-${i}`) })
      expect(res.status).toBe(429)
      if (codeOf(res.body) === 'rate_limit_exceeded') throttled++
      else answered++
    }
    // Burst 40, 8 spent on the failures that caused the block.
    expect(answered).toBe(32)
    expect(throttled).toBe(1_000 - 32)
    // The right token gets the very same answer as a wrong one while the bucket is empty.
    const right = await call(h, '/v1/models', { headers: bearer(h.token) })
    expect([right.status, codeOf(right.body)]).toEqual([429, 'rate_limit_exceeded'])
    // One second later: two more answers, whatever is sent.
    clock.advance(1_000)
    let later = 0
    for (let i = 0; i < 200; i++) {
      const res = await call(h, '/v1/models', { headers: bearer(`later-${i}`) })
      if (codeOf(res.body) !== 'rate_limit_exceeded') later++
    }
    expect(later).toBe(2)
    // No guess reached upstream.
    expect(h.emu.requests).toHaveLength(0)
  })
})

describe('H3 X-Forwarded-For read from the right (item 3)', () => {
  it('behind an appending proxy a client cannot dodge its block, lock out another address or pass as loopback', async () => {
    const clock = fakeClock()
    const h = await startRelay({
      env: { AIRELAYS_TRUST_X_FORWARDED_FOR: 'true' },
      relay: { clock: clock.now },
    })
    // What nginx (`$proxy_add_x_forwarded_for`) forwards: whatever the client sent, then its address.
    const via = (clientWrote: string | null, real: string): Record<string, string> => ({
      'x-forwarded-for': clientWrote === null ? real : `${clientWrote}, ${real}`,
    })
    // The attacker (203.0.113.9) blames 198.51.100.1 in its own header.
    for (let i = 0; i < 8; i++) {
      const res = await call(h, '/v1/models', {
        headers: { ...via('198.51.100.1', '203.0.113.9'), ...bearer(`x-${i}`) },
      })
      expect(res.status).toBe(401)
    }
    // The chosen victim is not blocked; the attacker is, whatever it writes on the left.
    expect(
      (await call(h, '/v1/models', { headers: { ...via(null, '198.51.100.1'), ...bearer(h.token) } })).status,
    ).toBe(200)
    for (const spoof of ['10.0.0.1', '127.0.0.1', '::1', 'unknown', '']) {
      const res = await call(h, '/v1/models', {
        headers: { ...via(spoof, '203.0.113.9'), ...bearer(h.token) },
      })
      expect([res.status, codeOf(res.body)], spoof).toEqual([429, 'ip_temporarily_blocked'])
    }
    const status = await call(h, '/v1/relay/status', {
      headers: { ...via('127.0.0.1', '198.51.100.77'), ...bearer(h.token) },
    })
    expect((status.body as { security: { client: { ip: string } } }).security.client.ip).toBe('198.51.100.77')
  })

  it('with trusted_proxies, only the listed hops are skipped; an untrusted peer is the client itself', async () => {
    const h = await startRelay({
      env: { AIRELAYS_TRUST_X_FORWARDED_FOR: 'true', AIRELAYS_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' },
    })
    const status = await call(h, '/v1/relay/status', {
      headers: { 'x-forwarded-for': '1.2.3.4, 203.0.113.5, 10.9.9.9', ...bearer(h.token) },
    })
    expect((status.body as { security: { client: { ip: string } } }).security.client.ip).toBe('203.0.113.5')
  })
})

describe('H4 file-reference amplification (item 4)', () => {
  beforeAll(buildChild, 120_000)
  afterAll(async () => {
    await stopChildren()
    await removeChildBuild()
  })

  it('a 200 KB request naming one 1 MB upload 3,000 times: 413 before memory grows, /healthz still answers', async () => {
    const child = await startChild()
    const form = new FormData()
    form.append('purpose', 'assistants')
    form.append('file', new Blob([Buffer.alloc(1_000_000, 0x61)], { type: 'text/plain' }), 'big.txt')
    const uploaded = await fetch(`${child.url}/v1/files`, {
      method: 'POST',
      headers: bearer(child.token),
      body: form,
    })
    expect(uploaded.status).toBe(200)
    const { id } = (await uploaded.json()) as { id: string }
    const rssBefore = vmKb(child.proc.pid!, 'VmRSS')
    const ref = { type: 'input_file', file_id: id }
    const body = JSON.stringify({
      model: 'gpt-5.5',
      input: [{ role: 'user', content: Array.from({ length: 3_000 }, () => ref) }],
    })
    expect(body.length).toBeLessThan(250_000)
    const res = await fetch(`${child.url}/v1/responses`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(child.token) },
      body,
    })
    expect(res.status).toBe(413)
    const envelope = (await res.json()) as { error: { code: string } }
    expect(envelope.error.code).toBe('expansion_too_large')
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200)
    // Peak memory of the relay process: the 3 GB the expansion would build never exists.
    const peak = vmKb(child.proc.pid!, 'VmHWM')
    expect(peak - rssBefore).toBeLessThan(200 * 1024)
    expect(peak).toBeLessThan(400 * 1024)
  })
})

function vmKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return match ? Number(match[1]) : 0
}

describe('H5 conversation storage quota (item 5)', () => {
  it('writes past max_conversation_bytes get 507 conversation_storage_full; the file stays under the quota', async () => {
    const h = await startRelay({ env: { AIRELAYS_MAX_CONVERSATION_BYTES: '65536' } })
    const created: string[] = []
    let refused: Awaited<ReturnType<typeof call>> | null = null
    for (let i = 0; i < 100 && refused === null; i++) {
      const res = await call(h, '/v1/conversations', {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...bearer(h.token) },
        body: JSON.stringify({ metadata: { note: 'n'.repeat(4_000), i: String(i) } }),
      })
      if (res.status === 200) created.push((res.body as { id: string }).id)
      else refused = res
    }
    expect(refused?.status).toBe(507)
    expect(codeOf(refused?.body)).toBe('conversation_storage_full')
    expect(created.length).toBeGreaterThanOrEqual(10)
    expect(created.length).toBeLessThanOrEqual(16)
    const size = (await stat(join(h.dataDir, 'conversations.json'))).size
    expect(size).toBeLessThanOrEqual(65_536)
    // Growing an existing one past the quota is refused too, and leaves it unchanged.
    const grow = await call(h, `/v1/conversations/${created[0]}`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(h.token) },
      body: JSON.stringify({ metadata: { more: 'm'.repeat(30_000) } }),
    })
    expect(grow.status).toBe(507)
    const kept = await call(h, `/v1/conversations/${created[0]}`, { headers: bearer(h.token) })
    expect((kept.body as { metadata: Record<string, unknown> }).metadata.more).toBeUndefined()
    // Deleting frees room.
    expect(
      (await call(h, `/v1/conversations/${created[1]}`, { method: 'DELETE', headers: bearer(h.token) }))
        .status,
    ).toBe(200)
    const again = await call(h, '/v1/conversations', {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(h.token) },
      body: JSON.stringify({ metadata: { note: 'n'.repeat(1_000) } }),
    })
    expect(again.status).toBe(200)
  })
})

describe('H6 connections (item 6)', () => {
  it('a flood of idle connections at the cap cannot lock out a valid client; open sockets stay capped', async () => {
    const h = await startRelay({ env: { AIRELAYS_MAX_CONNECTIONS: '16' } })
    // 64 connections from one client that never send a request (half-open / idle).
    const sockets = await Promise.all(Array.from({ length: 64 }, () => openSocket(h.url)))
    const closed = new Set<number>()
    sockets.forEach((socket, i) => {
      socket.on('error', () => {})
      socket.on('close', () => closed.add(i))
    })
    // One client holds at most half of max_connections: each new socket evicted the oldest idle one.
    await eventually(() => closed.size >= 56, 5_000, 20, 'idle sockets past the per-client cap evicted')
    expect(64 - closed.size).toBe(8)
    // A half-open socket that sends its request is served (nothing else connected meanwhile).
    const waiting = sockets.find((_, i) => !closed.has(i)) as (typeof sockets)[number]
    const answer = new Promise<string>((resolve) => {
      let text = ''
      waiting.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (text.includes('\r\n\r\n')) resolve(text)
      })
    })
    waiting.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n')
    expect((await answer).startsWith('HTTP/1.1 200')).toBe(true)
    // The flood is still open, and a valid client is served through it, request after request.
    const fresh = new Agent()
    try {
      for (let i = 0; i < 10; i++) {
        const res = await call(h, '/v1/models', { headers: bearer(h.token), dispatcher: fresh })
        expect(res.status).toBe(200)
      }
    } finally {
      await fresh.close()
      for (const socket of sockets) socket.destroy()
    }
    expect(64 - closed.size).toBeLessThanOrEqual(8)
  })

  it('a refused request does not get its unread body drained: the connection closes after a bounded discard', async () => {
    const h = await startRelay()
    const socket = await openSocket(h.url)
    socket.on('error', () => {})
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(
      `POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: ${1024 ** 3}\r\n\r\n`,
    )
    const chunk = Buffer.alloc(64 * 1024, 0x62)
    let written = 0
    let open = true
    void closed.then(() => {
      open = false
    })
    while (open && written < 512 * 1024 * 1024) {
      const ok = socket.write(chunk)
      written += chunk.length
      if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), closed])
    }
    expect(open).toBe(false)
    expect(received.startsWith('HTTP/1.1 401')).toBe(true)
    // 8 MiB discard + what the kernel buffers on both ends.
    expect(written).toBeLessThanOrEqual(48 * 1024 * 1024)
  })
})

describe('H7 the log scrubber (item 7)', () => {
  it('after 40 upstream refreshes a prompt quoting the relay token is still scrubbed', async () => {
    const h = await startRelay({ env: { AIRELAYS_RATE_LIMIT_BURST: '1000' } })
    // Each request meets an expired access token upstream: the relay refreshes (3 new upstream
    // secrets each time) and retries.
    for (let i = 0; i < 40; i++) {
      h.emu.script({ kind: 'expired_token' })
      const res = await call(h, '/v1/chat/completions', {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...bearer(h.token) },
        body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: `refresh ${i}` }] }),
      })
      expect(res.status, `request ${i}`).toBe(200)
    }
    expect(
      h.emu.requests.filter((r) => (r as { route?: string }).route === 'token').length,
    ).toBeGreaterThanOrEqual(40)
    const res = await call(h, '/v1/chat/completions', {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...bearer(h.token) },
      body: JSON.stringify({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: `my token is ${h.token} ok` }],
      }),
    })
    expect(res.status).toBe(200)
    const { lines } = await closedLogBytes(h)
    expect(lines.some((line) => line.includes('my token is [REDACTED] ok'))).toBe(true)
    expect(lines.some((line) => line.includes(h.token))).toBe(false)
  })

  it('malformed JSON, form bodies, token headers and bearer=/sig= query parameters are redacted', async () => {
    const h = await startRelay()
    const canary = (n: number): string => `canary-secret-${n}-${'q'.repeat(12)}`
    const post = (path: string, body: string, headers: Record<string, string>) =>
      call(h, path, { method: 'POST', headers: { ...bearer(h.token), ...headers }, body })
    await post(
      '/v1/chat/completions',
      `{"model":"gpt-5.5","file_data":"${canary(1)}","api_key":"${canary(2)}",`,
      JSON_HEADERS,
    )
    await post('/v1/chat/completions', `api_key=${canary(3)}&password=${canary(4)}&model=x`, {
      'content-type': 'application/x-www-form-urlencoded',
    })
    await post(`/v1/chat/completions?bearer=${canary(5)}&sig=${canary(6)}&access_token=${canary(7)}`, '{}', {
      ...JSON_HEADERS,
      'x-auth-token': canary(8),
      'x-goog-api-key': canary(9),
      'x-amz-security-token': canary(10),
    })
    const { lines } = await closedLogBytes(h)
    const text = lines.join('\n')
    expect(text).toContain('/v1/chat/completions')
    for (let n = 1; n <= 10; n++) expect(text, `canary ${n}`).not.toContain(canary(n))
  })
})

describe('H8 loopback detection by address (item 8)', () => {
  it.each(['127.1', '0x7f000001', '2130706433'])(
    'a relay bound to %s keeps the DNS-rebinding Host check on',
    async (host) => {
      const h = await startRelay({ relay: { host } })
      expect(new URL(h.url).hostname).toBe('127.0.0.1')
      const rebound = await call(h, '/v1/models', {
        headers: { ...bearer(h.token), host: 'rebind.example:8080' },
      })
      expect([rebound.status, codeOf(rebound.body)]).toEqual([403, 'host_not_allowed'])
      expect((await call(h, '/v1/models', { headers: bearer(h.token) })).status).toBe(200)
    },
  )

  it('a host name resolving to loopback keeps the Host check on, served or embedded, judged once', async () => {
    const lookups: string[] = []
    const lookupHost =
      (addresses: string[]): HostLookup =>
      async (name) => {
        lookups.push(name)
        return addresses.map((address) => ({ address }))
      }
    // Served (`airelays serve --host localhost-alias`): listens on the address the name resolved to.
    const h = await startRelay({
      relay: { host: 'localhost-alias', lookupHost: lookupHost(['127.0.0.1', '::1']) },
    })
    expect(new URL(h.url).hostname).toBe('127.0.0.1')
    for (let i = 0; i < 3; i++) {
      const rebound = await call(h, '/v1/models', {
        headers: { ...bearer(h.token), host: 'rebind.example:8080' },
      })
      expect([rebound.status, codeOf(rebound.body)]).toEqual([403, 'host_not_allowed'])
    }
    expect((await call(h, '/v1/models', { headers: bearer(h.token) })).status).toBe(200)
    expect(lookups).toEqual(['localhost-alias'])

    // Embedded (createRelayApp in a host's server): the same judgement of config.server.host.
    const ask = async (addresses: string[]): Promise<number> => {
      const config = { ...h.config, server: { ...h.config.server, host: 'localhost-alias' } }
      const app = createRelayApp({
        config,
        relayToken: h.token,
        trafficLog: false,
        lookupHost: lookupHost(addresses),
      })
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        const res = await app.fetch(
          new Request('http://rebind.example:8080/v1/models', {
            headers: { ...bearer(h.token), host: 'rebind.example:8080' },
          }),
        )
        statuses.push(res.status)
      }
      expect(new Set(statuses).size).toBe(1)
      return statuses[0] as number
    }
    lookups.length = 0
    expect(await ask(['127.0.0.1'])).toBe(403)
    // A name that also resolves to a LAN address is not loopback only: the check is off.
    expect(await ask(['127.0.0.1', '192.168.1.10'])).not.toBe(403)
    expect(lookups).toEqual(['localhost-alias', 'localhost-alias'])
  })

  it('every 127.x.y.z is one client: failures from 127.0.0.2 block 127.0.0.1 too', async () => {
    const clock = fakeClock()
    const h = await startRelay({ relay: { clock: clock.now } })
    const other = new Agent({ connect: { localAddress: '127.0.0.2' } })
    try {
      for (let i = 0; i < 4; i++)
        expect((await call(h, '/v1/models', { headers: bearer(`a-${i}`), dispatcher: other })).status).toBe(
          401,
        )
      for (let i = 0; i < 4; i++)
        expect((await call(h, '/v1/models', { headers: bearer(`b-${i}`) })).status).toBe(401)
      const blocked = await call(h, '/v1/models', { dispatcher: other })
      expect([blocked.status, codeOf(blocked.body)]).toEqual([429, 'ip_temporarily_blocked'])
      const status = await call(h, '/v1/relay/status', { headers: bearer(h.token), dispatcher: other })
      const security = (status.body as { security: { tracked_clients: number; client: { ip: string } } })
        .security
      expect(security.tracked_clients).toBe(1)
      expect(security.client.ip).toBe('127.0.0.1')
    } finally {
      await other.close()
    }
  })
})

describe('H9 smaller findings (item 9)', () => {
  it('a failed token on a monitoring route is recorded (the route itself still writes nothing)', async () => {
    const h = await startRelay()
    expect((await call(h, '/v1/relay/status', { headers: bearer('wrong-token-123') })).status).toBe(401)
    expect((await call(h, '/v1/relay/status', { headers: bearer(h.token) })).status).toBe(200)
    const { lines } = await closedLogBytes(h)
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const failed = records.filter((r) => r.phase === 'endpoint_auth_failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]?.path).toBe('/v1/relay/status')
    expect(records.filter((r) => r.phase === 'inbound_request')).toHaveLength(0)
  })

  it('a tool schema nested 2,000 deep is a 400 in each wire format, not a 500', async () => {
    const h = await startRelay()
    let schema: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < 2_000; i++) schema = { type: 'object', properties: { a: schema } }
    const user = [{ role: 'user', content: 'hi' }]
    const cases = [
      ['/v1/responses', { input: 'hi', tools: [{ type: 'function', name: 'f', parameters: schema }] }],
      ['/v1/responses', { input: 'hi', tools: [{ type: 'custom', name: 'c', format: schema }] }],
      [
        '/v1/chat/completions',
        { messages: user, tools: [{ type: 'function', function: { name: 'f', parameters: schema } }] },
      ],
      ['/v1/chat/completions', { messages: user, functions: [{ name: 'f', parameters: schema }] }],
      [
        '/v1/messages',
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 8,
          messages: user,
          tools: [{ name: 'f', input_schema: schema }],
        },
      ],
    ] as const
    for (const [path, body] of cases) {
      const res = await call(h, path, {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...bearer(h.token) },
        body: JSON.stringify({ model: 'gpt-5.5', ...body }),
      })
      expect(res.status, path).toBe(400)
      if (path === '/v1/messages') {
        // Anthropic's own envelope.
        expect(res.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
      } else {
        expect(isEnvelope(res.body)).toBe(true)
        expect(codeOf(res.body), path).toBe('tool_schema_too_deep')
      }
    }
    expect(h.emu.requests).toHaveLength(0)
  })

  it("a client cannot take the relay's own request ids", async () => {
    const h = await startRelay()
    for (const id of ['startup', 'upstream-auth', 'retention', 'shutdown']) {
      const res = await call(h, '/v1/models', { headers: { ...bearer(h.token), 'x-request-id': id } })
      expect(res.status).toBe(200)
      expect(res.headers['x-request-id'], id).not.toBe(id)
    }
    const own = await call(h, '/v1/models', {
      headers: { ...bearer(h.token), 'x-request-id': 'my-trace-42' },
    })
    expect(own.headers['x-request-id']).toBe('my-trace-42')
  })

  it('token rotate: once rotation returns the old token is refused and the new one accepted, never counted as a failure', async () => {
    const h = await startRelay()
    let old = h.token
    for (let round = 0; round < 3; round++) {
      expect((await call(h, '/v1/models', { headers: bearer(old) })).status).toBe(200)
      // What `airelays token rotate` runs; the old token is asked about first, right after it returns.
      const { token: next } = await rotateRelayToken(h.config.security.bearer_token_file)
      expect((await call(h, '/v1/models', { headers: bearer(old) })).status).toBe(401)
      expect((await call(h, '/v1/models', { headers: bearer(next) })).status).toBe(200)
      old = next
    }
    // Both orders, concurrently: each request is judged on the file as it is when it arrives.
    const { token: last } = await rotateRelayToken(h.config.security.bearer_token_file)
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(h, '/v1/models', { headers: bearer(i % 2 ? last : old) })),
    )
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 ? 200 : 401)))
    const status = await call(h, '/v1/relay/status', { headers: bearer(last) })
    // Only the deliberate old-token requests failed: 3 in the rounds, 4 in the concurrent batch.
    expect(
      (status.body as { security: { client: { failed_auth_attempts: number } } }).security.client
        .failed_auth_attempts,
    ).toBe(7)
  })

  it('an upstream event type cannot inject SSE lines', async () => {
    const raw = await startRawUpstream(async (_req, res) => {
      const created = {
        type: 'response.created',
        response: { id: 'resp_1', status: 'in_progress', output: [] },
      }
      const evil = { type: 'response.output_text.delta\ndata: {"injected":true}\n\nevent: x', delta: 'hi' }
      const done = {
        type: 'response.completed',
        response: {
          id: 'resp_1',
          status: 'completed',
          output: [],
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        },
      }
      await writeChunks(
        res,
        [created, evil, done].map((e) => `event: ${e.type.split('\n')[0]}\ndata: ${JSON.stringify(e)}\n\n`),
      )
    })
    try {
      const h = await startRelay({ upstreamBaseUrl: raw.backendUrl })
      const res = await fetch(`${h.url}/v1/responses`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, ...bearer(h.token) },
        body: JSON.stringify({ model: 'gpt-5.5', input: 'hi', stream: true }),
      })
      const { frames } = await readSse(res.body!)
      const text = frames.map((f) => f.text).join('\n\n')
      expect(text).not.toContain('"injected":true}\n')
      for (const frame of frames) {
        const events = frame.text.split('\n').filter((l) => l.startsWith('event:'))
        expect(events.length).toBeLessThanOrEqual(1)
        for (const line of events) expect(line).toMatch(/^event: [A-Za-z0-9._:-]+$/)
      }
    } finally {
      await raw.close()
    }
  })

  it('existing data and log directories are narrowed to 0700', async () => {
    const h = await startRelay()
    await h.relay.close()
    await chmod(h.dataDir, 0o777)
    await mkdir(h.config.paths.logs_dir, { recursive: true })
    await chmod(h.config.paths.logs_dir, 0o755)
    const again = await startRelay({ env: { AIRELAYS_DATA_DIR: h.dataDir } })
    await again.relay.close()
    expect((await stat(h.dataDir)).mode & 0o777).toBe(0o700)
    expect((await stat(h.config.paths.logs_dir)).mode & 0o777).toBe(0o700)
  })

  it('spooled uploads (file before purpose) count against the upload quota', async () => {
    const h = await startRelay({
      env: {
        AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: String(3 * 1024 * 1024),
        AIRELAYS_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
      },
    })
    const boundary = 'b11harden'
    const head = (name: string): string =>
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\ncontent-type: text/plain\r\n\r\n`
    // First upload: 2 MiB of file, then it stalls before `purpose` (the spool holds it).
    const first = await openSocket(h.url)
    first.on('error', () => {})
    first.write(
      `POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ntransfer-encoding: chunked\r\n\r\n`,
    )
    const part = Buffer.concat([Buffer.from(head('a.txt')), Buffer.alloc(2 * 1024 * 1024 - 1024, 0x61)])
    first.write(`${part.length.toString(16)}\r\n`)
    first.write(part)
    first.write('\r\n')
    await eventually(async () => {
      const tmp = await walkFiles(h.config.paths.tmp_dir)
      for (const file of tmp) if ((await stat(file)).size >= 2 * 1024 * 1024 - 2048) return true
      return false
    }, 10_000)
    // Second upload of 2 MiB: together over the 3 MiB quota.
    const body = Buffer.concat([
      Buffer.from(head('b.txt')),
      Buffer.alloc(2 * 1024 * 1024 - 1024, 0x62),
      Buffer.from(
        `\r\n--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--${boundary}--\r\n`,
      ),
    ])
    const second = await rawRequest(
      h.url,
      Buffer.concat([
        Buffer.from(
          `POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        ),
        body,
      ]),
    )
    first.destroy()
    expect(second.response?.status).toBe(413)
    expect(JSON.parse(second.response!.body.toString()).error.code).toBe('upload_quota_exceeded')
  })

  it('a non-ASCII upload name sent as raw UTF-8 (curl, openai SDK) is kept', async () => {
    const h = await startRelay()
    const boundary = 'b11name'
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nassistants\r\n`),
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="résumé.txt"\r\ncontent-type: text/plain\r\n\r\n`,
        'utf8',
      ),
      Buffer.from('hello\r\n'),
      Buffer.from(`--${boundary}--\r\n`),
    ])
    const res = await rawRequest(
      h.url,
      Buffer.concat([
        Buffer.from(
          `POST /v1/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        ),
        body,
      ]),
    )
    expect(res.response?.status).toBe(200)
    expect(JSON.parse(res.response!.body.toString('utf8')).filename).toBe('résumé.txt')
  })
})

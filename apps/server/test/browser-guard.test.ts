// Web pages in the user's browser (docs/security.md): a foreign Origin, Sec-Fetch-Site:
// cross-site and (on a loopback relay) a non-loopback Host get 403 before any other check.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eventually } from '@airelays/test-utils'
import { H3, toNodeHandler } from 'h3'
import { afterEach, describe, expect, it } from 'vitest'
import { createRelayApp, serveRelay } from '../src/index'
import { type RelayHarness, type RelayHarnessOptions, startRelay } from './_setup'

const harnesses: RelayHarness[] = []
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const h of harnesses.splice(0)) await h.close()
})

async function relay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const h = await startRelay(options)
  harnesses.push(h)
  return h
}

const OPEN: RelayHarnessOptions = { token: false, env: { AIRELAYS_REQUIRE_BEARER_AUTH: 'false' } }

interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request over node:http, with full control over Host and the browser headers. */
function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  const url = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')))
    req.end(body)
  })
}

const chat = JSON.stringify({
  model: 'gpt-5.5',
  messages: [{ role: 'user', content: 'Reply with exactly: ok' }],
})

function postChat(h: RelayHarness, headers: Record<string, string>, path = '/v1/chat/completions') {
  return send(h.relay.url, 'POST', path, { 'content-type': 'text/plain', ...headers }, chat)
}

function errorOf(answer: RawAnswer): Record<string, unknown> {
  const parsed = JSON.parse(answer.body) as { error: Record<string, unknown> }
  expect(Object.keys(parsed)).toEqual(['error'])
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  return parsed.error
}

function noCors(answer: RawAnswer): void {
  for (const name of Object.keys(answer.headers)) expect(name).not.toMatch(/^access-control-/)
}

const upstreamCalls = (h: RelayHarness): number =>
  h.emu.requests.filter((r) => r.route === 'responses').length

describe('Origin', () => {
  it('a page on another site gets 403 origin_not_allowed, even in open mode, and nothing reaches upstream', async () => {
    const h = await relay(OPEN)
    for (const path of ['/v1/chat/completions', '/no-tools/v1/chat/completions']) {
      const answer = await postChat(
        h,
        { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' },
        path,
      )
      expect(answer.status, path).toBe(403)
      expect(answer.headers['x-request-id']).toMatch(/^req_/)
      expect(errorOf(answer)).toEqual({
        message:
          'Cross-origin requests from https://attacker.example are not allowed. AIRelays serves local clients; browsers on other sites cannot use it.',
        type: 'invalid_request_error',
        param: null,
        code: 'origin_not_allowed',
      })
      noCors(answer)
    }
    for (const [method, path] of [
      ['GET', '/v1/models'],
      ['GET', '/v1/files'],
      ['GET', '/v1/relay/status'],
      ['DELETE', '/v1/files/file_00000000000000000000000000000000'],
      ['OPTIONS', '/v1/chat/completions'],
    ] as const) {
      const answer = await send(h.relay.url, method, path, { origin: 'http://evil.example:8080' })
      expect(answer.status, `${method} ${path}`).toBe(403)
      expect(errorOf(answer).code).toBe('origin_not_allowed')
      noCors(answer)
    }
    expect(upstreamCalls(h)).toBe(0)
  })

  it('Origin: null and an unparsable Origin are refused too', async () => {
    const h = await relay(OPEN)
    for (const origin of ['null', 'not a url', 'http://']) {
      const answer = await postChat(h, { origin })
      expect(answer.status, origin).toBe(403)
      expect(errorOf(answer).code).toBe('origin_not_allowed')
    }
    expect(upstreamCalls(h)).toBe(0)
  })

  it('Sec-Fetch-Site: cross-site without an Origin is refused; same-origin, same-site and none pass', async () => {
    const h = await relay(OPEN)
    const refused = await postChat(h, { 'sec-fetch-site': 'cross-site' })
    expect(refused.status).toBe(403)
    expect(errorOf(refused)).toMatchObject({
      code: 'origin_not_allowed',
      message:
        'Cross-origin requests from another site are not allowed. AIRelays serves local clients; browsers on other sites cannot use it.',
    })
    for (const site of ['same-origin', 'same-site', 'none']) {
      const answer = await postChat(h, { 'sec-fetch-site': site })
      expect(answer.status, site).toBe(200)
    }
  })

  it('loopback origins and the same host are allowed', async () => {
    const h = await relay()
    const auth = { authorization: `Bearer ${h.token}` }
    const port = new URL(h.relay.url).port
    for (const origin of [
      'http://localhost:3000',
      'http://LOCALHOST',
      'http://127.0.0.1:5173',
      'http://127.8.9.10',
      'http://[::1]:8080',
      'https://app.localhost',
      `http://127.0.0.1:${port}`,
    ]) {
      const answer = await send(h.relay.url, 'GET', '/v1/models', { ...auth, origin })
      expect(answer.status, origin).toBe(200)
      noCors(answer)
    }
    // same host: the page was served from the name the relay is addressed by
    const same = await send(h.relay.url, 'GET', '/v1/models', {
      ...auth,
      host: `localhost:${port}`,
      origin: 'http://localhost:9999',
    })
    expect(same.status).toBe(200)
  })

  it('runs before the limits and the token: never counted as a failed login, never spends rate tokens', async () => {
    const h = await relay({
      env: {
        AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '2',
        AIRELAYS_RATE_LIMIT_BURST: '3',
        AIRELAYS_RATE_LIMIT_PER_MINUTE: '1',
      },
    })
    for (let i = 0; i < 10; i++) {
      const answer = await send(h.relay.url, 'GET', '/v1/models', {
        origin: 'https://attacker.example',
        authorization: 'Bearer wrong',
      })
      expect(answer.status).toBe(403)
      expect(answer.headers['www-authenticate']).toBeUndefined()
    }
    // no block, and the rate bucket is still full: 401 (not 429) for a wrong token, then 200s
    expect((await h.fetch('/v1/models', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await h.fetch('/v1/models')).status).toBe(200)
    expect((await h.fetch('/v1/models')).status).toBe(200)
    // with the bucket empty, the browser check still answers first
    expect((await h.fetch('/v1/models')).status).toBe(429)
    const late = await send(h.relay.url, 'GET', '/v1/models', { origin: 'https://attacker.example' })
    expect(late.status).toBe(403)
  })

  it('is logged as endpoint_rejected with the reason, never as a failed authentication', async () => {
    const h = await relay()
    await send(h.relay.url, 'GET', '/v1/models', {
      origin: 'https://attacker.example',
      'x-request-id': 'req-origin-log',
    })
    const record = await eventually(async () =>
      (await h.logRecords()).find(
        (r) => r.request_id === 'req-origin-log' && r.phase === 'endpoint_rejected',
      ),
    )
    expect(record).toMatchObject({
      reason: 'origin_not_allowed',
      method: 'GET',
      path: '/v1/models',
      origin: 'https://attacker.example',
    })
    const records = await h.logRecords()
    expect(records.some((r) => r.phase === 'endpoint_auth_failed')).toBe(false)
  })

  it('leaves / and /healthz alone', async () => {
    const h = await relay()
    for (const path of ['/', '/healthz']) {
      const answer = await send(h.relay.url, 'GET', path, {
        origin: 'https://attacker.example',
        'sec-fetch-site': 'cross-site',
        host: 'rebound.attacker.example',
      })
      expect(answer.status, path).toBe(200)
      noCors(answer)
    }
  })
})

describe('Host (DNS rebinding)', () => {
  it('a loopback relay refuses a request addressed to another name, even in open mode', async () => {
    const h = await relay(OPEN)
    const port = new URL(h.relay.url).port
    for (const host of [
      `rebound.attacker.example:${port}`,
      'rebound.attacker.example',
      '192.168.1.20',
      '0.0.0.0',
    ]) {
      // a rebinding page is same-origin with the name it rebound, so its Origin matches the Host
      const answer = await postChat(h, { host, origin: `http://${host}` })
      expect(answer.status, host).toBe(403)
      expect(errorOf(answer)).toEqual({
        message: `Host \`${host}\` is not allowed: this relay listens on loopback only, so requests must address it as localhost or 127.0.0.1.`,
        type: 'invalid_request_error',
        param: null,
        code: 'host_not_allowed',
      })
      noCors(answer)
      const read = await send(h.relay.url, 'GET', '/v1/files', { host })
      expect(read.status, host).toBe(403)
    }
    expect(upstreamCalls(h)).toBe(0)
    const record = await eventually(async () =>
      (await h.logRecords()).find((r) => r.phase === 'endpoint_rejected' && r.reason === 'host_not_allowed'),
    )
    expect(record).toMatchObject({ method: 'POST', path: '/v1/chat/completions' })
  })

  it('a malformed Host is refused', async () => {
    const h = await relay(OPEN)
    for (const host of ['user@127.0.0.1', '127.0.0.1/x', '[::1', 'a'.repeat(300)]) {
      const answer = await send(h.relay.url, 'GET', '/v1/models', { host })
      expect(answer.status, host).toBe(403)
      expect(errorOf(answer).code).toBe('host_not_allowed')
    }
  })

  it('loopback names and addresses pass', async () => {
    const h = await relay(OPEN)
    const port = new URL(h.relay.url).port
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'LocalHost',
      'localhost.',
      'api.localhost',
      '127.0.0.2',
      '[::1]',
      `[::1]:${port}`,
      '[::ffff:127.0.0.1]',
    ]) {
      expect((await send(h.relay.url, 'GET', '/v1/models', { host })).status, host).toBe(200)
    }
    expect((await postChat(h, { host: `localhost:${port}` })).status).toBe(200)
  })

  it('serveRelay checks Host against the address it listens on, not only the configured one', async () => {
    const base = await relay()
    const config = { ...base.config, server: { ...base.config.server, host: '0.0.0.0' } }
    const served = await serveRelay({ config, host: '127.0.0.1', port: 0 })
    cleanups.push(() => served.close({ force: true }))
    const answer = await send(served.url, 'GET', '/v1/models', {
      host: 'rebound.attacker.example',
      authorization: `Bearer ${base.token}`,
    })
    expect(answer.status).toBe(403)
    expect(errorOf(answer).code).toBe('host_not_allowed')
  })

  it('a relay bound to a non-loopback address skips the Host check (bearer auth protects it), not the Origin check', async () => {
    // Bound-to-0.0.0.0 behaviour, without opening a port beyond loopback: the relay app is embedded
    // in a host listening on 127.0.0.1, with config.server.host telling it where the host listens.
    const base = await relay()
    const config = { ...base.config, server: { ...base.config.server, host: '0.0.0.0' } }
    const stop = new AbortController()
    const host = new H3()
    host.mount('/ai', createRelayApp({ config, signal: stop.signal }))
    const server: Server = createServer(toNodeHandler(host))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      stop.abort()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const auth = { authorization: `Bearer ${base.token}` }
    const lan = await send(url, 'GET', '/ai/v1/models', { ...auth, host: 'my-laptop.lan:8080' })
    expect(lan.status).toBe(200)
    const samePage = await send(url, 'GET', '/ai/v1/models', {
      ...auth,
      host: 'my-laptop.lan:8080',
      origin: 'http://my-laptop.lan:3000',
    })
    expect(samePage.status).toBe(200)
    const foreign = await send(url, 'GET', '/ai/v1/models', {
      ...auth,
      host: 'my-laptop.lan:8080',
      origin: 'http://attacker.example',
    })
    expect(foreign.status).toBe(403)
    expect(errorOf(foreign).code).toBe('origin_not_allowed')
    // without the token it is still 401
    expect((await send(url, 'GET', '/ai/v1/models', { host: 'my-laptop.lan:8080' })).status).toBe(401)
  })

  it('an embedded relay answering a bare Request (no Host header) is not affected', async () => {
    const base = await relay()
    const stop = new AbortController()
    cleanups.push(async () => stop.abort())
    const app = createRelayApp({ config: base.config, signal: stop.signal })
    const res = await app.fetch(
      new Request('http://relay.internal/v1/models', { headers: { authorization: `Bearer ${base.token}` } }),
    )
    expect(res.status).toBe(200)
  })
})

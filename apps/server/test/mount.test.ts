import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { H3, toNodeHandler } from 'h3'
import OpenAI, { AuthenticationError } from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelayApp } from '../src/index'
import { type RelayHarness, startRelay } from './_setup'

// The harness gives us an emulator, a data dir with a login and a relay token; the relay app under
// test here is a second one, built with createRelayApp() and embedded in a host.
let h: RelayHarness
const stop = new AbortController()
let host: H3
let server: Server
let url: string

beforeAll(async () => {
  h = await startRelay()
  // README example: mount the relay under /ai in a host h3 app
  host = new H3()
  host.get('/hello', () => ({ host: true }))
  host.mount('/ai', createRelayApp({ config: h.config, signal: stop.signal }))
  server = createServer(toNodeHandler(host))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  stop.abort()
  await new Promise<void>((resolve) => server?.close(() => resolve()))
  await h?.close()
})

describe('mounted under /ai in a host h3 app', () => {
  it('serves the OpenAI API under the prefix to the official client', async () => {
    const client = new OpenAI({ baseURL: `${url}/ai/v1`, apiKey: h.token, maxRetries: 0 })
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toContain('gpt-5.5')
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      stream: true,
      messages: [{ role: 'user', content: 'Reply with exactly: mounted ok' }],
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('mounted ok')
  })

  it('keeps its security, envelope and request ids when mounted', async () => {
    const bad = new OpenAI({ baseURL: `${url}/ai/v1`, apiKey: 'wrong', maxRetries: 0 })
    const error = await bad.models.list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).requestID).toMatch(/^req_/)

    const missing = await fetch(`${url}/ai/v1/nope`, { headers: { authorization: `Bearer ${h.token}` } })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found')
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/)
  })

  it('serves /ai/healthz and a dashboard that knows the mounted base path', async () => {
    expect(await (await fetch(`${url}/ai/healthz`)).json()).toMatchObject({ ok: true, app_name: 'AIRelays' })
    const page = await (await fetch(`${url}/ai/`)).text()
    // the page builds its base URL (location.origin + data-base) and asset URLs from it
    expect(page).toContain('data-base="/ai"')
    const script = /src="([^"]+)"/.exec(page)?.[1] as string
    expect(script).toMatch(/^\/ai\/dashboard\/app\.js\?v=/)
    expect((await fetch(`${url}${script}`)).status).toBe(200)
  })

  it('leaves the host routes alone', async () => {
    expect(await (await fetch(`${url}/hello`)).json()).toEqual({ host: true })
    expect((await fetch(`${url}/other`)).status).toBe(404)
  })
})

describe('as a fetch handler (Nitro server entry)', () => {
  it('answers Request objects through app.fetch', async () => {
    // README example: `export default { fetch: app.fetch }` in Nitro's server.ts
    const app = createRelayApp({ config: h.config, signal: stop.signal })
    const entry = { fetch: app.fetch }
    const health = await entry.fetch(new Request('http://relay.local/healthz'))
    expect(health.status).toBe(200)
    const models = await entry.fetch(
      new Request('http://relay.local/v1/models', { headers: { authorization: `Bearer ${h.token}` } }),
    )
    expect(models.status).toBe(200)
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0)
    const chat = await entry.fetch(
      new Request('http://relay.local/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: 'Reply with exactly: fetch ok' }],
        }),
      }),
    )
    expect(
      ((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('fetch ok')
    const denied = await entry.fetch(new Request('http://relay.local/v1/models'))
    expect(denied.status).toBe(401)
    expect(denied.headers.get('x-request-id')).toMatch(/^req_/)
  })
})

describe('mounted at the root of a host h3 app', () => {
  let rootServer: Server
  let rootUrl: string

  beforeAll(async () => {
    const root = new H3()
    root.get('/hello', () => ({ host: true }))
    root.post('/echo', async (event) => ({ echo: await event.req.json() }))
    root.mount('/', createRelayApp({ config: h.config, signal: stop.signal, trafficLog: false }))
    rootServer = createServer(toNodeHandler(root))
    await new Promise<void>((resolve) => rootServer.listen(0, '127.0.0.1', resolve))
    rootUrl = `http://127.0.0.1:${(rootServer.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => rootServer?.close(() => resolve()))
  })

  it("answers its own paths and leaves the host's routes, 404s and errors to the host", async () => {
    const hello = await fetch(`${rootUrl}/hello`)
    expect(await hello.json()).toEqual({ host: true })
    expect(hello.headers.get('x-request-id')).toBeNull()
    for (const [path, init, status] of [
      ['/host-missing', {}, 404],
      ['/hello', { method: 'POST' }, 404],
      ['/echo', { method: 'POST', body: '{not json' }, 500],
    ] as const) {
      const res = await fetch(`${rootUrl}${path}`, init)
      expect(res.status, path).toBe(status)
      expect(res.headers.get('x-request-id'), path).toBeNull()
      expect(await res.text(), path).not.toContain('invalid_request_error')
    }
    expect((await fetch(`${rootUrl}/healthz`)).headers.get('x-request-id')).toMatch(/^req_/)
    const missing = await fetch(`${rootUrl}/v1/nope`, { headers: { authorization: `Bearer ${h.token}` } })
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found')
  })
})

describe('client addresses when embedded', () => {
  const bad = (app: H3) =>
    app.fetch(new Request('http://relay.local/v1/models', { headers: { authorization: 'Bearer wrong' } }))

  it('a Request with no known address is limited on its own: bad tokens never add up to a block', async () => {
    const app = createRelayApp({ config: h.config, signal: stop.signal, trafficLog: false })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await bad(app)).status)
    expect(statuses).toEqual(Array(12).fill(401))
  })

  it('clientAddress names the client: its bad tokens block it, and only it', async () => {
    let address = '203.0.113.7'
    const app = createRelayApp({
      config: h.config,
      signal: stop.signal,
      trafficLog: false,
      clientAddress: () => address,
    })
    const statuses: number[] = []
    for (let i = 0; i < 9; i++) statuses.push((await bad(app)).status)
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401))
    expect(statuses[8]).toBe(429)
    address = '203.0.113.8'
    expect((await bad(app)).status).toBe(401)
  })
})

import { createServer, request as httpRequest, type Server } from 'node:http'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { codexBody, collect, recordingStore, textOf } from './_test-helpers'
import { createUpstreamClient } from './client'
import type { UpstreamClient } from './client-api'
import { startDeviceLogin } from './device-login'

/** A tiny plain-HTTP forward proxy (absolute-form requests, no CONNECT) that records what it forwards. */
async function startForwardProxy(): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    let target: URL
    try {
      target = new URL(req.url ?? '')
    } catch {
      res.writeHead(400).end('absolute-form request expected')
      return
    }
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  server.on('connect', (_req, socket) => {
    seen.push('CONNECT')
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  return { url: `http://127.0.0.1:${address.port}`, seen, server }
}

let emu: UpstreamEmulator
let proxy: Awaited<ReturnType<typeof startForwardProxy>>
const clients: UpstreamClient[] = []

beforeEach(async () => {
  emu = await createUpstreamEmulator()
  proxy = await startForwardProxy()
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  proxy.server.closeAllConnections()
  await new Promise((resolve) => proxy.server.close(resolve))
  await emu.close()
})

describe('proxy settings (EnvHttpProxyAgent, HTTP_PROXY-style overrides)', () => {
  it('sends backend calls and streams through the proxy', async () => {
    const upstream = createUpstreamClient({
      baseUrl: emu.backendUrl,
      issuerUrl: emu.url,
      credentials: recordingStore(emu.storedAuth()),
      proxy: { httpProxy: proxy.url, noProxy: '' },
    })
    clients.push(upstream)
    await upstream.models()
    expect(textOf(await collect(await upstream.responses(codexBody())))).toBe('pong')
    expect(proxy.seen).toEqual([
      `GET ${emu.backendUrl}/models?client_version=0.171.0`,
      `POST ${emu.backendUrl}/responses`,
    ])
    expect(emu.requests.map((r) => r.route)).toEqual(['models', 'responses'])
  })

  it('reads HTTP_PROXY from the environment when the client is first used, and goes direct without one', async () => {
    const saved = {
      HTTP_PROXY: process.env.HTTP_PROXY,
      http_proxy: process.env.http_proxy,
      NO_PROXY: process.env.NO_PROXY,
      no_proxy: process.env.no_proxy,
    }
    const create = (): UpstreamClient => {
      const client = createUpstreamClient({
        baseUrl: emu.backendUrl,
        issuerUrl: emu.url,
        credentials: recordingStore(emu.storedAuth()),
      })
      clients.push(client)
      return client
    }
    try {
      for (const name of Object.keys(saved)) delete process.env[name]
      const direct = create()
      process.env.HTTP_PROXY = proxy.url
      const proxied = create()
      // The agent is made on the first call: the variable set after createUpstreamClient counts.
      await proxied.models()
      delete process.env.HTTP_PROXY
      await direct.models()
      expect(proxy.seen).toEqual([`GET ${emu.backendUrl}/models?client_version=0.171.0`])
      expect(emu.requests.map((r) => r.route)).toEqual(['models', 'models'])
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    const upstream = createUpstreamClient({
      baseUrl: emu.backendUrl,
      issuerUrl: emu.url,
      credentials: recordingStore(emu.storedAuth()),
      proxy: { httpProxy: proxy.url, noProxy: '127.0.0.1' },
    })
    clients.push(upstream)
    await upstream.models()
    expect(proxy.seen).toEqual([])
    expect(emu.requests).toHaveLength(1)
  })

  it('sends login traffic through the proxy too', async () => {
    const e = emu
    const login = await startDeviceLogin({
      issuerUrl: e.url,
      proxy: { httpProxy: proxy.url, noProxy: '' },
      sleep: async () => {},
    })
    await login.waitForCompletion()
    expect(proxy.seen).toEqual([
      `POST ${e.url}/api/accounts/deviceauth/usercode`,
      `POST ${e.url}/api/accounts/deviceauth/token`,
      `POST ${e.url}/api/accounts/deviceauth/token`,
      `POST ${e.url}/oauth/token`,
    ])
  })
})

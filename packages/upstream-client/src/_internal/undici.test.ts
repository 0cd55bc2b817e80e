import { createServer, type IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import * as undiciIndex from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import {
  envHttpProxyAgent,
  lazyDispatcher,
  UNDICI_PARTS,
  undiciAgent,
  undiciErrors,
  undiciRequest,
} from './undici'

const load = createRequire(import.meta.url)
const closers: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** A loopback server that records each request's method, URL and body, and answers `ok <url>`. */
async function recordingServer(): Promise<{
  url: string
  seen: { method: string; url: string; body: string }[]
}> {
  const seen: { method: string; url: string; body: string }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      res.end(`ok ${req.url}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

describe('undici parts', () => {
  it('are the objects the undici index exports (the pinned version keeps these files)', () => {
    expect(undiciAgent()).toBe(undiciIndex.Agent)
    expect(envHttpProxyAgent()).toBe(undiciIndex.EnvHttpProxyAgent)
    expect(undiciErrors()).toBe(undiciIndex.errors)
    for (const path of Object.values(UNDICI_PARTS)) expect(path).not.toMatch(/^undici\/?(index\.js)?$/)
    expect(load(UNDICI_PARTS.api).request).toBeTypeOf('function')
  })

  it('undiciRequest sends method, path with query and body through the given dispatcher', async () => {
    const server = await recordingServer()
    const agent = new (envHttpProxyAgent())({ noProxy: '*' })
    closers.push(() => agent.close())
    const res = await undiciRequest(`${server.url}/a/b?x=1&y=2`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
      dispatcher: agent,
    })
    expect(res.statusCode).toBe(200)
    expect(await res.body.text()).toBe('ok /a/b?x=1&y=2')
    const plain = await undiciRequest(`${server.url}/plain`, { method: 'GET', dispatcher: agent })
    expect(await plain.body.text()).toBe('ok /plain')
    expect(server.seen).toEqual([
      { method: 'POST', url: '/a/b?x=1&y=2', body: 'hello' },
      { method: 'GET', url: '/plain', body: '' },
    ])
  })

  it('a lazy dispatcher closed before its first request fails it as a closed agent does', async () => {
    const server = await recordingServer()
    const lazy = lazyDispatcher(() => new (envHttpProxyAgent())({ noProxy: '*' }))
    await lazy.close()
    await expect(
      undiciRequest(`${server.url}/x`, { method: 'GET', dispatcher: lazy }),
    ).rejects.toBeInstanceOf(undiciIndex.errors.ClientClosedError)
    expect(server.seen).toEqual([])
  })
})

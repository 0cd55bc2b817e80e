// Threats specific to a relay on 127.0.0.1 (docs/security.md): web pages in the user's browser
// (cross-site requests, DNS rebinding) and what the unauthenticated routes reveal.

import { closeAll, eventually } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, type RelayHarnessOptions, startRelay } from './_harness'
import { frameRequest, type RawResponse, rawRequest } from './_raw-http'

afterEach(closeAll)

const browserHeaders = {
  origin: 'http://attacker.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  referer: 'http://attacker.example/page',
}

const OPEN_MODE: RelayHarnessOptions = { token: false, env: { AIRELAYS_REQUIRE_BEARER_AUTH: 'false' } }
const WITH_TOKEN: RelayHarnessOptions = { env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100' } }

/** What a page can make a browser send: simple requests with any of the three simple content types. */
const attempts: [string, string, string | undefined][] = [
  ['POST', '/v1/chat/completions', chatBody()],
  ['POST', '/v1/responses', JSON.stringify({ model: 'gpt-5.5', input: 'hi' })],
  ['POST', '/no-tools/v1/chat/completions', chatBody()],
  ['GET', '/v1/models', undefined],
  ['GET', '/v1/files', undefined],
  ['GET', '/v1/relay/status', undefined],
  ['GET', '/v1/subscription/status', undefined],
]
const simpleTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']

function errorCode(response: RawResponse | null): unknown {
  const body = JSON.parse(response?.body.toString('utf8') ?? '{}') as { error?: { code?: unknown } }
  return body.error?.code
}

function expectNoCors(response: RawResponse | null): void {
  for (const name of Object.keys(response?.headers ?? {})) expect(name).not.toMatch(/^access-control-/)
}

describe('local threats', () => {
  it.each([
    ['open mode', OPEN_MODE],
    ['bearer auth', WITH_TOKEN],
  ] as const)(
    'local: a page on another site gets 403 origin_not_allowed and never reaches upstream (%s)',
    async (_mode, options) => {
      const h = await startRelay(options)
      for (const [method, path, body] of attempts) {
        for (const contentType of simpleTypes) {
          const { response } = await rawRequest(
            h.url,
            frameRequest(method, path, { 'content-type': contentType, ...browserHeaders }, body),
          )
          expect(response?.status, `${method} ${path}`).toBe(403)
          expect(errorCode(response)).toBe('origin_not_allowed')
          expectNoCors(response)
        }
        // a form post from an older browser: no Origin, only Sec-Fetch-Site
        const { response } = await rawRequest(
          h.url,
          frameRequest(method, path, { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' }, body),
        )
        expect(response?.status, `${method} ${path} without Origin`).toBe(403)
        expect(errorCode(response)).toBe('origin_not_allowed')
      }
      expect(h.emu.requests).toHaveLength(0)
      // never counted as failed logins: nothing was blocked
      expect((await h.fetch('/v1/models')).status).toBe(200)
    },
  )

  it.each([
    ['open mode', OPEN_MODE],
    ['bearer auth', WITH_TOKEN],
  ] as const)(
    'local: DNS rebinding — a rebound Host gets 403 host_not_allowed on a loopback relay (%s)',
    async (_mode, options) => {
      const h = await startRelay(options)
      const host = `rebound.attacker.example:${new URL(h.url).port}`
      // After rebinding, the page is same-origin with the relay: its Origin matches the Host, and
      // same-origin GETs carry no Origin at all. Only the Host gives it away.
      for (const [method, path, body] of attempts) {
        const headers: Record<string, string> =
          method === 'POST' ? { host, origin: `http://${host}`, 'content-type': 'text/plain' } : { host }
        if (h.token) headers.authorization = `Bearer ${h.token}`
        const { response } = await rawRequest(h.url, frameRequest(method, path, headers, body))
        expect(response?.status, `${method} ${path}`).toBe(403)
        expect(errorCode(response)).toBe('host_not_allowed')
        expectNoCors(response)
      }
      expect(h.emu.requests).toHaveLength(0)
      const rejected = await eventually(async () => {
        const records = (await h.logRecords()).filter(
          (r) => r.phase === 'endpoint_rejected' && r.reason === 'host_not_allowed',
        )
        // monitoring routes write no record (G4); the other four do
        return records.length >= 4 ? records : null
      })
      expect(rejected.every((r) => r.host === host)).toBe(true)
    },
  )

  it('local: clients that are not web pages on other sites still work (no Origin, loopback Origin, loopback Host)', async () => {
    const h = await startRelay(OPEN_MODE)
    const port = new URL(h.url).port
    for (const headers of [
      {},
      { host: `localhost:${port}` },
      { host: `[::1]:${port}` },
      { origin: 'http://localhost:5173', 'sec-fetch-site': 'cross-site' },
      { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' },
    ] as Record<string, string>[]) {
      const { response } = await rawRequest(
        h.url,
        frameRequest(
          'POST',
          '/v1/chat/completions',
          { 'content-type': 'application/json', ...headers },
          chatBody(),
        ),
      )
      expect(response?.status, JSON.stringify(headers)).toBe(200)
      expectNoCors(response)
    }
  })

  it('local: no CORS — a page can neither preflight nor read an answer', async () => {
    const h = await startRelay()
    const preflight = await rawRequest(
      h.url,
      frameRequest('OPTIONS', '/v1/chat/completions', {
        ...browserHeaders,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      }),
    )
    expect(preflight.response?.status).toBe(403)
    expectNoCors(preflight.response)
    for (const path of ['/', '/healthz']) {
      const { response } = await rawRequest(h.url, frameRequest('GET', path, browserHeaders))
      expect(response?.status).toBe(200)
      expectNoCors(response)
    }
  })

  it('local: the unauthenticated routes reveal no account, token or path', async () => {
    const h = await startRelay()
    const auth = await h.status()
    const email = String((auth.auth as { email?: string } | undefined)?.email ?? 'dev@example.com')
    for (const path of ['/', '/healthz']) {
      const res = await h.fetch(path, { auth: false })
      const text = await res.text()
      expect(res.status).toBe(200)
      for (const secret of [h.token, email, 'acct_emulator', h.dataDir])
        expect(text, path).not.toContain(secret)
    }
  })
})

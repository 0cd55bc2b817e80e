// Threats specific to a relay on 127.0.0.1 (docs/security.md): web pages in the user's browser
// (cross-site requests, DNS rebinding) and what the unauthenticated routes reveal.
import { afterEach, describe, expect, it } from 'vitest'
import { chatBody, closeAll, startRelay } from './_harness'
import { frameRequest, rawRequest } from './_raw-http'

afterEach(closeAll)

const browserHeaders = {
  origin: 'http://attacker.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  referer: 'http://attacker.example/page',
}

describe('local threats', () => {
  it('local: a rebound Host and a foreign Origin without the token get 401, never reach upstream', async () => {
    const h = await startRelay({ env: { AIRELAYS_FAILED_AUTH_MAX_ATTEMPTS: '100' } })
    const attempts: [string, string, string | undefined][] = [
      ['POST', '/v1/chat/completions', chatBody()],
      ['POST', '/v1/responses', JSON.stringify({ model: 'gpt-5.5', input: 'hi' })],
      ['GET', '/v1/models', undefined],
      ['GET', '/v1/files', undefined],
      ['GET', '/v1/relay/status', undefined],
      ['GET', '/v1/subscription/status', undefined],
    ]
    for (const [method, path, body] of attempts) {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
        const { response } = await rawRequest(
          h.url,
          frameRequest(
            method,
            path,
            { host: 'rebound.attacker.example:8080', 'content-type': contentType, ...browserHeaders },
            body,
          ),
        )
        expect(response?.status, `${method} ${path}`).toBe(401)
        expect(response?.headers['access-control-allow-origin']).toBeUndefined()
      }
    }
    expect(h.emu.requests).toHaveLength(0)
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
    expect(preflight.response?.status).toBeGreaterThanOrEqual(400)
    for (const name of Object.keys(preflight.response?.headers ?? {}))
      expect(name).not.toMatch(/^access-control-/)
    for (const path of ['/', '/healthz']) {
      const { response } = await rawRequest(h.url, frameRequest('GET', path, browserHeaders))
      expect(response?.status).toBe(200)
      for (const name of Object.keys(response?.headers ?? {})) expect(name).not.toMatch(/^access-control-/)
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

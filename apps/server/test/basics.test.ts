import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay()
})
afterAll(() => h?.close())

describe('public routes', () => {
  it('answers /healthz with the reference body and a request id', async () => {
    const res = await h.fetch('/healthz', { auth: false })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, app_name: 'AIRelays', version: expect.any(String) })
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
  })

  it('serves the dashboard shell at / without secrets', async () => {
    const res = await h.fetch('/', { auth: false })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const page = await res.text()
    expect(page).toContain('<title>AIRelays')
    expect(page).toMatch(/<script src="\/dashboard\/app\.js\?v=[0-9a-f]{16}" defer><\/script>/)
    expect(page).not.toContain(h.token)
    expect(page).not.toContain('dev@example.com')
  })
})

describe('models', () => {
  it('lists the upstream catalog plus extra models with the airelays block', async () => {
    const res = await h.fetch('/v1/models')
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      object: string
      data: { id: string; owned_by: string; airelays: unknown }[]
    }
    expect(body.object).toBe('list')
    const ids = body.data.map((m) => m.id)
    expect(ids).toContain('gpt-5.5')
    expect(new Set(ids).size).toBe(ids.length)
    expect(body.data[0]?.owned_by).toBe('airelays-openai-subscription')
  })
})

describe('chat', () => {
  it('answers a non-stream chat completion', async () => {
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'Reply with exactly: pong' }],
      }),
    })
    const text = await res.text()
    const body = JSON.parse(text) as { choices: { message: { content: string } }[] }
    expect(res.status, text).toBe(200)
    expect(body.choices[0]?.message.content).toBe('pong')
    // Written as one string with its length, not read back from a Web body stream (chunked).
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
  })

  it('streams a chat completion', async () => {
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-5.5',
        stream: true,
        messages: [{ role: 'user', content: 'Reply with exactly: pong' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const text = await res.text()
    expect(text).toContain('data: [DONE]')
  })
})

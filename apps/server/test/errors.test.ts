import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay({
    relay: { maxJsonBodyBytes: 64 * 1024 },
    env: { AIRELAYS_RATE_LIMIT_BURST: '100000', AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000' },
  })
})
afterAll(() => h?.close())

type Envelope = { error: { message: string; type: string; param: string | null; code: string | null } }

async function envelope(res: Response, status: number): Promise<Envelope['error']> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
  const body = (await res.json()) as Envelope
  expect(Object.keys(body)).toEqual(['error'])
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  return body.error
}

function postRaw(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return h.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
}

describe('one envelope everywhere', () => {
  it('404 under /v1, under /no-tools/v1 and outside', async () => {
    expect(await envelope(await h.fetch('/v1/nope'), 404)).toMatchObject({ code: 'not_found' })
    expect(await envelope(await h.fetch('/no-tools/v1/models/x/y'), 404)).toMatchObject({ code: 'not_found' })
    expect(await envelope(await h.fetch('/favicon.ico'), 404)).toMatchObject({
      code: 'not_found',
      type: 'invalid_request_error',
    })
    // Outside /v1 the same gate applies first (issue 26): no token, no 404.
    expect(await envelope(await h.fetch('/favicon.ico', { auth: false }), 401)).toMatchObject({
      code: 'invalid_api_key',
    })
  })

  it('405 with Allow on a known path with the wrong method', async () => {
    const res = await h.fetch('/v1/models', { method: 'POST' })
    expect(res.headers.get('allow')).toContain('GET')
    expect(await envelope(res, 405)).toMatchObject({ code: 'method_not_allowed' })
    const del = await h.fetch('/v1/chat/completions', { method: 'GET' })
    expect(del.headers.get('allow')).toBe('POST')
    await envelope(del, 405)
    await envelope(await h.fetch('/healthz', { method: 'POST', auth: false }), 405)
  })

  it('400 for invalid JSON and for a non-object body', async () => {
    expect(await envelope(await postRaw('/v1/chat/completions', '{"model":'), 400)).toEqual({
      message: 'Request body must be valid JSON.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_json',
    })
    expect(await envelope(await postRaw('/v1/responses', '[1,2]'), 400)).toMatchObject({
      message: 'Request body must be a JSON object.',
    })
    expect(await envelope(await postRaw('/v1/completions', ''), 400)).toMatchObject({ code: 'invalid_json' })
  })

  it('413 for a JSON body over the limit, declared or streamed', async () => {
    const big = JSON.stringify({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }],
    })
    expect(await envelope(await postRaw('/v1/chat/completions', big), 413)).toMatchObject({
      code: 'request_too_large',
    })
    // chunked, without Content-Length
    const chunks = [big.slice(0, 1000), big.slice(1000)]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    const res = await h.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    await envelope(res, 413)
  })

  it('translation problems carry the translator status, code and param', async () => {
    const error = await envelope(
      await postRaw('/v1/chat/completions', JSON.stringify({ model: 'gpt-5.5', messages: [], n: 2 })),
      400,
    )
    expect(error.type).toBe('invalid_request_error')
    expect(error.param).not.toBeNull()
  })

  it('the no-tools routes refuse tools', async () => {
    const error = await envelope(
      await postRaw(
        '/no-tools/v1/chat/completions',
        JSON.stringify({
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: 'x' }],
          tools: [
            { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } },
          ],
        }),
      ),
      400,
    )
    expect(error.message).toBe('This route disables tools.')
  })

  it('Claude model ids are refused, never sent upstream', async () => {
    const error = await envelope(
      await postRaw(
        '/v1/chat/completions',
        JSON.stringify({ model: 'claude:sonnet', messages: [{ role: 'user', content: 'x' }] }),
      ),
      422,
    )
    expect(error).toMatchObject({
      param: 'model',
      message: 'The Claude runtime is disabled for this AIRelays process.',
    })
  })

  it('501 unsupported_error for embeddings, images, audio and realtime', async () => {
    for (const path of [
      '/v1/embeddings',
      '/v1/images/generations',
      '/v1/audio/speech',
      '/v1/realtime/sessions',
    ]) {
      expect(await envelope(await postRaw(path, '{}'), 501)).toEqual({
        message:
          'This subscription-backed server does not expose a verified upstream implementation for this route yet.',
        type: 'unsupported_error',
        param: null,
        code: 'unsupported_route',
      })
    }
  })

  it('a malformed URL path gets the envelope too', async () => {
    const url = new URL(h.relay.url)
    const res = await new Promise<{ status: number; body: string; requestId: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: '/v1/%ZZ', method: 'GET' },
          (response) => {
            let body = ''
            response.setEncoding('utf8')
            response.on('data', (chunk: string) => {
              body += chunk
            })
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                body,
                requestId: response.headers['x-request-id'] as string,
              }),
            )
          },
        )
        req.on('error', reject)
        req.end()
      },
    )
    expect(res.status).toBe(400)
    expect(res.requestId).toMatch(/^req_/)
    expect((JSON.parse(res.body) as Envelope).error.code).toBe('invalid_request')
  })
})

describe('x-request-id', () => {
  it('is on every response: success, HTML, stream, error', async () => {
    for (const res of [
      await h.fetch('/healthz', { auth: false }),
      await h.fetch('/', { auth: false }),
      await h.fetch('/v1/models'),
      await h.fetch('/v1/models', { auth: false }),
    ]) {
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
    }
  })

  it('echoes a sane client-supplied id and replaces an unsafe one', async () => {
    const echoed = await h.fetch('/v1/models', { headers: { 'x-request-id': 'client-123.abc' } })
    expect(echoed.headers.get('x-request-id')).toBe('client-123.abc')
    const replaced = await h.fetch('/v1/models', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
  })
})

describe('conversations', () => {
  it('create, get, update (shallow merge), delete, and 404s', async () => {
    const created = await postRaw(
      '/v1/conversations',
      JSON.stringify({ metadata: { topic: 'tests', owner: 'a' } }),
    )
    expect(created.status).toBe(200)
    const conv = (await created.json()) as {
      id: string
      object: string
      latest_response_id: null
      metadata: object
    }
    expect(conv.id).toMatch(/^conv_[0-9a-f]{32}$/)
    expect(conv).toMatchObject({
      object: 'conversation',
      latest_response_id: null,
      metadata: { topic: 'tests' },
    })

    const updated = await postRaw(
      `/v1/conversations/${conv.id}`,
      JSON.stringify({ metadata: { owner: 'b' } }),
    )
    expect(((await updated.json()) as { metadata: object }).metadata).toEqual({ topic: 'tests', owner: 'b' })
    const fetched = (await (await h.fetch(`/v1/conversations/${conv.id}`)).json()) as { metadata: object }
    expect(fetched.metadata).toEqual({ topic: 'tests', owner: 'b' })

    const empty = await h.fetch('/v1/conversations', { method: 'POST' })
    expect(empty.status).toBe(200)

    const deleted = await h.fetch(`/v1/conversations/${conv.id}`, { method: 'DELETE' })
    expect(await deleted.json()).toEqual({ id: conv.id, object: 'conversation', deleted: true })
    expect(await envelope(await h.fetch(`/v1/conversations/${conv.id}`), 404)).toMatchObject({
      message: `Unknown conversation id \`${conv.id}\`.`,
    })
    await envelope(await postRaw('/v1/conversations', '[]'), 400)
    await envelope(await postRaw('/v1/conversations', JSON.stringify({ metadata: 'x' })), 400)
  })

  it('prepends seed items on the first response and stores latest_response_id', async () => {
    const conv = (await (
      await postRaw(
        '/v1/conversations',
        JSON.stringify({
          items: [
            {
              type: 'message',
              role: 'user',
              content: [{ type: 'input_text', text: 'Remember: the code is 42.' }],
            },
          ],
        }),
      )
    ).json()) as { id: string }
    h.emu.reset()
    const res = await postRaw(
      '/v1/responses',
      JSON.stringify({ model: 'gpt-5.5', conversation: conv.id, input: 'Reply with exactly: ok' }),
    )
    const response = (await res.json()) as { id: string }
    expect(res.status).toBe(200)
    const sent = await h.emu.waitFor((r) => r.route === 'responses')
    expect(JSON.stringify(sent.body)).toContain('Remember: the code is 42.')
    expect(sent.headers.session_id).toBe(conv.id)
    const stored = (await (await h.fetch(`/v1/conversations/${conv.id}`)).json()) as {
      latest_response_id: string
    }
    expect(stored.latest_response_id).toBe(response.id)
  })
})

describe('relay and subscription status', () => {
  it('reports readiness, counters, settings, limiter and storage without secrets', async () => {
    const res = await h.fetch('/v1/relay/status')
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toContain(h.token)
    const body = JSON.parse(text) as {
      relay: { bearer_token_fingerprint: string; bearer_token_source: string }
      supported_routes: string[]
    }
    expect(JSON.parse(text)).toMatchObject({
      object: 'relay.status',
      app_name: 'AIRelays',
      version: expect.any(String),
      requests_total: expect.any(Number),
      ready: { upstream_auth: true, openai_upstream_auth: true, relay_token: true, any_provider: true },
      security: { tracked_clients: expect.any(Number), client: { ip: expect.any(String) } },
      storage: {
        file_count: expect.any(Number),
        total_bytes: expect.any(Number),
        conversation_count: expect.any(Number),
      },
    })
    expect(body.relay.bearer_token_fingerprint).toMatch(/^[0-9a-f]{12}$/)
    expect(body.relay.bearer_token_source).toBe('file')
    expect(body.supported_routes).toHaveLength(21)
    expect(body.supported_routes).toContain('/v1/responses/{response_id}')
    for (const route of ['accounts', 'accounts/login', 'accounts/order', 'logging', 'token/rotate']) {
      expect(body.supported_routes).toContain(`/v1/relay/${route}`)
    }
  })

  it('normalises subscription usage; raw=true adds the upstream payload; the alias works', async () => {
    const status = (await (await h.fetch('/v1/subscription/status')).json()) as Record<string, unknown>
    expect(status.object).toBe('subscription_status')
    expect(status.raw).toBeUndefined()
    const raw = (await (await h.fetch('/v1/account/rate_limits?raw=true')).json()) as Record<string, unknown>
    expect(raw.raw).toEqual(expect.any(Object))
    await envelope(await h.fetch('/v1/subscription/status?provider=claude'), 501)
  })
})

describe('unexpected exceptions', () => {
  it('answer 500 with a generic message; the detail goes to the log only', async () => {
    const { serveRelay } = await import('../src/index')
    const { createFileStore } = await import('@airelays/file-inliner')
    const real = createFileStore({ dataDir: h.dataDir })
    const reported: string[] = []
    const broken = await serveRelay({
      config: h.config,
      host: '127.0.0.1',
      port: 0,
      logger: { warn: (m) => reported.push(m), error: (m) => reported.push(m) },
      files: {
        ...real,
        list: () => Promise.reject(new Error('disk exploded at /secret/path')),
      },
    })
    try {
      const res = await fetch(`${broken.url}/v1/files`, { headers: { authorization: `Bearer ${h.token}` } })
      const error = await envelope(res, 500)
      expect(error).toEqual({
        message: 'The AIRelays server hit an unexpected error. The details are in its log.',
        type: 'server_error',
        param: null,
        code: 'server_error',
      })
      expect(reported.join('\n')).toContain('disk exploded at /secret/path')
    } finally {
      await broken.close()
    }
    const records = await h.logRecords()
    expect(records.some((r) => r.phase === 'relay_error' && String(r.error).includes('disk exploded'))).toBe(
      true,
    )
  })
})

describe('conversation seed items', () => {
  it('are validated at creation and normalised before they reach the upstream', async () => {
    const invalid = await postRaw('/v1/conversations', JSON.stringify({ items: [42] }))
    const error = await envelope(invalid, 400)
    expect(error.param).toMatch(/^items/)
    const conv = (await (
      await postRaw(
        '/v1/conversations',
        JSON.stringify({ items: [{ role: 'user', content: 'Seeded as a plain string.' }] }),
      )
    ).json()) as { id: string }
    h.emu.reset()
    const res = await postRaw(
      '/v1/chat/completions',
      JSON.stringify({
        model: 'gpt-5.5',
        conversation: conv.id,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    )
    expect(res.status).toBe(200)
    const sent = await h.emu.waitFor((r) => r.route === 'responses')
    const input = (sent.body as { input: { type?: string; role?: string; content: unknown }[] }).input
    expect(input[0]).toMatchObject({ role: 'user' })
    expect(JSON.stringify(input[0])).toContain('Seeded as a plain string.')
  })
})

describe('requests Node refuses or that end early', () => {
  async function raw(wire: string): Promise<{ head: string; body: string }> {
    const { connect } = await import('node:net')
    const url = new URL(h.relay.url)
    const socket = connect(Number(url.port), url.hostname)
    let out = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      out += chunk
    })
    socket.on('error', () => {})
    socket.write(wire)
    await new Promise<void>((resolve) => {
      socket.on('close', () => resolve())
      setTimeout(() => {
        socket.destroy()
        resolve()
      }, 2000)
    })
    const split = out.indexOf('\r\n\r\n')
    return { head: out.slice(0, split), body: out.slice(split + 4) }
  }

  it('malformed HTTP, oversized headers and a missing Host get the envelope and a request id', async () => {
    for (const [wire, status] of [
      ['FROB /v1/models HTTP/1.1\r\nhost: x\r\n\r\n', 400],
      [`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(20 * 1024)}\r\n\r\n`, 431],
      ['GET /healthz HTTP/1.1\r\n\r\n', 400],
      ['\u0001\u0002garbage\r\n\r\n', 400],
    ] as const) {
      const { head, body } = await raw(wire)
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status}\\b`))
      expect(head.toLowerCase()).toMatch(/x-request-id: req_[0-9a-f]{32}/)
      const json = body.includes('{') ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1) : body
      expect(Object.keys((JSON.parse(json) as Envelope).error).sort()).toEqual([
        'code',
        'message',
        'param',
        'type',
      ])
    }
  })

  it('a multipart upload that ends before its closing boundary is a 400, not a crash', async () => {
    for (const path of ['/v1/files?purpose=assistants', '/v1/files']) {
      const body = '--B\r\ncontent-disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n'
      const { head } = await raw(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${h.token}\r\n` +
          `content-type: multipart/form-data; boundary=B\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      )
      expect(head.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 400\b/)
    }
    expect((await h.fetch('/healthz', { auth: false })).status).toBe(200)
  })
})

describe('OpenAI runtime disabled', () => {
  it('files and conversations answer 501, generation 422, models an empty list', async () => {
    const off = await startRelay({ env: { AIRELAYS_ENABLE_OPENAI: 'false' } })
    try {
      for (const [method, path] of [
        ['GET', '/v1/files'],
        ['POST', '/v1/conversations'],
      ] as const) {
        const res = await off.fetch(path, { method })
        expect(res.status).toBe(501)
        expect(((await res.json()) as Envelope).error.message).toBe(
          'This route is currently available only when the OpenAI runtime is enabled.',
        )
      }
      const chat = await off.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }),
      })
      expect(chat.status).toBe(422)
      expect(((await chat.json()) as Envelope).error.message).toBe(
        'Unknown model `gpt-5.5` and the OpenAI runtime is disabled.',
      )
      expect(await (await off.fetch('/v1/models')).json()).toEqual({ object: 'list', data: [] })
      expect(off.emu.requests).toHaveLength(0)
    } finally {
      await off.close()
    }
  })
})

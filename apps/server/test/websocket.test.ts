import { eventually, sleep } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type RelayHarness, type RelayHarnessOptions, startRelay } from './_setup'

let h: RelayHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

type Frame = Record<string, unknown> & { type: string }

/** A plain WebSocket client of the relay that queues every frame it receives. */
interface Client {
  ws: WebSocket
  frames: Frame[]
  send(frame: unknown): void
  /** Frames up to and including the next one whose type is in `types`. */
  until(types: string[]): Promise<Frame[]>
  closed: Promise<{ code: number; reason: string }>
}

function connect(
  relay: RelayHarness,
  options: { token?: string | null; path?: string; headers?: Record<string, string> } = {},
): Promise<Client> {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? relay.token : options.token
  if (token) headers.authorization = `Bearer ${token}`
  const ws = new WebSocket(`${relay.url.replace('http', 'ws')}${options.path ?? '/v1/responses'}`, {
    headers,
  })
  const frames: Frame[] = []
  let read = 0
  let wake: (() => void) | null = null
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame)
    wake?.()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) })
      wake?.()
    })
  })
  const client: Client = {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    async until(types) {
      const out: Frame[] = []
      for (;;) {
        while (read < frames.length) {
          const frame = frames[read++] as Frame
          out.push(frame)
          if (types.includes(frame.type)) return out
        }
        if (ws.readyState === ws.CLOSED) throw new Error(`socket closed before ${types.join('/')}`)
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = null
      }
    },
  }
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => {
        body += chunk
      })
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
      )
    })
    ws.once('error', reject)
  })
}

const user = (text: string): Record<string, unknown> => ({
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
})

const create = (input: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'response.create',
  model: 'gpt-5.5',
  input,
  stream: true,
  store: false,
  ...extra,
})

async function start(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  h = await startRelay(options)
  return h
}

function upstreamResponses(relay: RelayHarness): Record<string, unknown>[] {
  return relay.emu.requests
    .filter((r) => r.route === 'responses')
    .map((r) => r.body as Record<string, unknown>)
}

describe('Responses WebSocket', () => {
  it('streams a response.create as JSON text frames and logs it like an HTTP request', async () => {
    const relay = await start()
    relay.emu.script({ kind: 'reply', output: { text: 'pong' } })
    const client = await connect(relay)
    client.send(create([user('ping')]))
    const frames = await client.until(['response.completed'])
    expect(frames[0]?.type).toBe('response.created')
    expect(frames.map((f) => f.type)).toContain('response.output_text.delta')
    const completed = frames.at(-1) as unknown as { response: { id: string; status: string } }
    expect(completed.response.status).toBe('completed')
    expect(upstreamResponses(relay)).toHaveLength(1)
    client.ws.close(1000)
    await client.closed
    const records = await eventually(async () => {
      const records = await relay.logRecords()
      return records.some((r) => r.phase === 'websocket_closed') ? records : null
    }, 10_000)
    {
      const inbound = records.find((r) => r.phase === 'inbound_request' && r.transport === 'websocket')
      expect(inbound).toMatchObject({ method: 'POST', path: '/v1/responses' })
      expect(JSON.stringify(inbound)).not.toContain(relay.token)
      expect(
        records.find((r) => r.phase === 'outbound_response' && r.transport === 'websocket'),
      ).toMatchObject({ status_code: 200, id: completed.response.id })
    }
  })

  it('continues a thread with previous_response_id: the client sends only the new items', async () => {
    const relay = await start()
    relay.emu.script(
      { kind: 'reply', output: { text: 'first answer' } },
      { kind: 'reply', output: { text: 'second' } },
    )
    const client = await connect(relay)
    client.send(create([user('turn one')]))
    const first = (await client.until(['response.completed'])).at(-1) as unknown as {
      response: { id: string }
    }
    client.send(create([user('turn two')], { previous_response_id: first.response.id }))
    const second = await client.until(['response.completed', 'error'])
    expect(second.at(-1)?.type).toBe('response.completed')
    const [, body] = upstreamResponses(relay)
    const text = JSON.stringify(body?.input)
    expect(text).toContain('turn one')
    expect(text).toContain('first answer')
    expect(text).toContain('turn two')
    expect(text.indexOf('turn one')).toBeLessThan(text.indexOf('first answer'))
    expect(text.indexOf('first answer')).toBeLessThan(text.indexOf('turn two'))
    expect(body).not.toHaveProperty('previous_response_id')
    client.ws.close()
  })

  it('prepends response.append items and accepts response.processed', async () => {
    const relay = await start()
    relay.emu.script({ kind: 'reply', output: { text: 'ok' } })
    const client = await connect(relay)
    client.send({ type: 'response.append', input: [user('appended first')] })
    client.send({ type: 'response.processed', response_id: 'resp_x' })
    client.send(create([user('then this')]))
    const frames = await client.until(['response.completed', 'error'])
    expect(frames.some((f) => f.type === 'error')).toBe(false)
    const text = JSON.stringify(upstreamResponses(relay)[0]?.input)
    expect(text.indexOf('appended first')).toBeLessThan(text.indexOf('then this'))
    client.ws.close()
  })

  it('answers an unknown previous_response_id and bad frames with error events that carry sequence_number', async () => {
    const relay = await start()
    const client = await connect(relay)
    client.send(create([user('x')], { previous_response_id: 'resp_unknown' }))
    const [error] = await client.until(['error'])
    expect(error).toMatchObject({
      type: 'error',
      status: 400,
      code: 'previous_response_not_found',
      param: 'previous_response_id',
      sequence_number: 0,
      error: { code: 'previous_response_not_found', type: 'invalid_request_error' },
    })
    client.ws.send('not json')
    expect((await client.until(['error']))[0]).toMatchObject({ code: 'invalid_json' })
    client.send({ type: 'session.update' })
    expect((await client.until(['error']))[0]).toMatchObject({ code: 'unsupported_frame' })
    expect(upstreamResponses(relay)).toHaveLength(0)
    client.ws.close()
  })

  it('answers a tool schema nested 2,000 deep with a 400 error event (issue 26, item 9)', async () => {
    const relay = await start()
    const client = await connect(relay)
    let schema: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < 2_000; i++) schema = { type: 'array', items: schema }
    client.send(create([user('x')], { tools: [{ type: 'function', name: 'f', parameters: schema }] }))
    const [error] = await client.until(['error'])
    expect(error).toMatchObject({
      type: 'error',
      status: 400,
      code: 'tool_schema_too_deep',
      param: 'tools[0].parameters',
    })
    expect(upstreamResponses(relay)).toHaveLength(0)
    client.ws.close()
  })

  it('passes an upstream failure through as its own event', async () => {
    const relay = await start()
    relay.emu.script({ kind: 'http_error', status: 400, body: { detail: 'Unsupported parameter: nope' } })
    const client = await connect(relay)
    client.send(create([user('x')]))
    const [error] = await client.until(['error', 'response.failed'])
    expect(error).toMatchObject({ type: 'error', status: 400 })
    expect(typeof error?.sequence_number).toBe('number')
    client.ws.close()
  })

  it('puts the handshake behind the same gate as HTTP', async () => {
    const relay = await start()
    await expect(connect(relay, { token: null })).rejects.toMatchObject({ status: 401 })
    await expect(connect(relay, { token: 'wrong' })).rejects.toMatchObject({ status: 401 })
    await expect(connect(relay, { headers: { origin: 'https://evil.example' } })).rejects.toMatchObject({
      status: 403,
    })
    const client = await connect(relay, { path: '/no-tools/v1/responses' })
    client.ws.close()
  })

  it('refuses the upgrade with 426 when WebSocket is off, and on other paths', async () => {
    const relay = await start({ env: { AIRELAYS_WEBSOCKETS: 'false' } })
    const refused = connect(relay)
    await expect(refused).rejects.toMatchObject({ status: 426 })
    const body = JSON.parse(((await refused.catch((e: { body: string }) => e)) as { body: string }).body)
    expect(body.error).toMatchObject({ code: 'websocket_unavailable' })
    expect(body.error.message).toContain('server.websockets = false')
  })

  it('refuses upgrades on paths without a WebSocket with 426, and a plain GET keeps 405', async () => {
    const relay = await start()
    await expect(connect(relay, { path: '/v1/chat/completions' })).rejects.toMatchObject({ status: 426 })
    const res = await relay.fetch('/v1/responses')
    expect(res.status).toBe(405)
  })

  it('aborts the upstream when the client disconnects mid-response', async () => {
    const relay = await start()
    relay.emu.script({ kind: 'stall', afterEvents: 2, ms: 30_000 })
    const client = await connect(relay)
    client.send(create([user('Reply with exactly: a b c')]))
    await relay.emu.waitFor((r) => r.route === 'responses', 10_000)
    client.ws.terminate()
    const request = await eventually(() =>
      relay.emu.requests.find((r) => r.route === 'responses' && r.abortedAt !== undefined),
    )
    expect(request.completedAt).toBeUndefined()
  })

  it('closes connections with 1001 when the relay shuts down', async () => {
    const relay = await start()
    const client = await connect(relay)
    await relay.relay.close()
    expect((await client.closed).code).toBe(1001)
  })

  it('closes a connection whose frame is larger than the body limit (1009)', async () => {
    const relay = await start({ relay: { maxJsonBodyBytes: 1024 } })
    const client = await connect(relay)
    client.send(create([user('x'.repeat(4096))]))
    expect((await client.closed).code).toBe(1009)
  })

  it('takes a rate-limit token per response.create', async () => {
    const relay = await start({
      env: { AIRELAYS_RATE_LIMIT_BURST: '2', AIRELAYS_RATE_LIMIT_PER_MINUTE: '1' },
    })
    relay.emu.script({ kind: 'reply', output: { text: 'a' } }, { kind: 'reply', output: { text: 'b' } })
    const client = await connect(relay) // the handshake takes the first token
    client.send(create([user('one')]))
    expect((await client.until(['response.completed', 'error'])).at(-1)?.type).toBe('response.completed')
    client.send(create([user('two')]))
    const [limited] = await client.until(['error'])
    expect(limited).toMatchObject({ status: 429 })
    client.ws.close()
  })
  it('keeps a connection open past the HTTP request timeouts', async () => {
    const relay = await start({ relay: { requestTimeoutMs: 200, headersTimeoutMs: 200 } })
    relay.emu.script({ kind: 'reply', output: { text: 'later' } })
    const client = await connect(relay)
    await sleep(1000) // a lower bound: Node checks the request timers several times meanwhile
    client.send(create([user('still there?')]))
    expect((await client.until(['response.completed', 'error'])).at(-1)?.type).toBe('response.completed')
    client.ws.close()
  })
})

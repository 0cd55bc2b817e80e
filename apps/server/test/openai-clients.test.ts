// What OpenAI-style clients need from the relay itself (issue 19): HEAD on GET routes, chaining by
// `previous_response_id`, kept responses, numbered in-stream errors, local `stop` with an aborted
// upstream.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay()
})
afterAll(() => h?.close())
beforeEach(() => h.emu.reset())

function upstreamBodies(): Record<string, unknown>[] {
  return h.emu.requests.filter((r) => r.route === 'responses').map((r) => r.body as Record<string, unknown>)
}

async function post(path: string, body: unknown): Promise<Response> {
  return h.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** `event:` / `data:` frames of an SSE body. */
function events(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('event: '))
    .map((frame) => {
      const [head, data] = frame.split('\ndata: ')
      return { event: (head as string).slice(7), data: JSON.parse(data as string) as Record<string, unknown> }
    })
}

describe('HEAD', () => {
  it.each(['/healthz', '/', '/v1/models', '/v1/relay/status', '/no-tools/v1/models'])(
    'HEAD %s answers like GET without a body',
    async (path) => {
      const get = await h.fetch(path)
      await get.arrayBuffer()
      const head = await h.fetch(path, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'))
      expect(head.headers.get('x-request-id')).toBeTruthy()
      expect(await head.text()).toBe('')
    },
  )

  it('lists HEAD in Allow and keeps refusing methods a route does not have', async () => {
    const res = await h.fetch('/v1/models', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
    await res.arrayBuffer()
  })
})

describe('previous_response_id', () => {
  it('expands a kept response into the input, streamed and not, and names it in the answer', async () => {
    const first = (await (
      await post('/v1/responses', { model: 'gpt-5.5', input: 'Reply with exactly: A' })
    ).json()) as {
      id: string
    }
    const second = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: [{ role: 'user', content: 'Reply with exactly: B' }],
      previous_response_id: first.id,
      stream: true,
    })
    expect(second.status).toBe(200)
    expect(second.headers.get('x-airelays-ignored-parameters')).toBeNull()
    const frames = events(await second.text())
    const completed = frames.find((f) => f.event === 'response.completed')?.data.response as Record<
      string,
      unknown
    >
    expect(completed.previous_response_id).toBe(first.id)

    const third = (await (
      await post('/v1/responses', {
        model: 'gpt-5.5',
        input: 'Reply with exactly: C',
        previous_response_id: completed.id,
      })
    ).json()) as Record<string, unknown>
    expect(third.previous_response_id).toBe(completed.id)

    const input = upstreamBodies()[2]?.input as { role?: string; content: string | { text: string }[] }[]
    const text = (content: string | { text: string }[]): string =>
      typeof content === 'string' ? content : content.map((p) => p.text).join('')
    expect(input.map((item) => `${item.role}:${text(item.content)}`)).toEqual([
      'user:Reply with exactly: A',
      'assistant:A',
      'user:Reply with exactly: B',
      'assistant:B',
      'user:Reply with exactly: C',
    ])
    for (const body of upstreamBodies()) expect(body).not.toHaveProperty('previous_response_id')

    const kept = await h.fetch(`/v1/responses/${String(third.id)}`)
    expect(kept.status).toBe(200)
    expect(((await kept.json()) as { id: string }).id).toBe(third.id)
    const deleted = await h.fetch(`/v1/responses/${String(third.id)}`, { method: 'DELETE' })
    expect(await deleted.json()).toEqual({ id: third.id, object: 'response', deleted: true })
    const gone = await h.fetch(`/v1/responses/${String(third.id)}`)
    expect(gone.status).toBe(404)
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('response_not_found')
  })

  it('answers an unknown id with 404 previous_response_not_found before calling the upstream', async () => {
    const res = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: 'x',
      previous_response_id: 'resp_gone',
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: {
        message: "Previous response with id 'resp_gone' not found.",
        type: 'invalid_request_error',
        param: 'previous_response_id',
        code: 'previous_response_not_found',
      },
    })
    expect(upstreamBodies()).toHaveLength(0)
  })

  it('does not keep an answer the client asked not to store (store: false, as Codex sends)', async () => {
    const res = (await (
      await post('/v1/responses', { model: 'gpt-5.5', input: 'x', store: false })
    ).json()) as {
      id: string
    }
    expect((await h.fetch(`/v1/responses/${res.id}`)).status).toBe(404)
    const chained = await post('/v1/responses', {
      model: 'gpt-5.5',
      input: 'y',
      previous_response_id: res.id,
    })
    expect(chained.status).toBe(404)
    await chained.arrayBuffer()
  })

  it('keeps responses in responses.json in the data directory (0600)', async () => {
    const res = (await (await post('/v1/responses', { model: 'gpt-5.5', input: 'hi' })).json()) as {
      id: string
    }
    const file = join(h.dataDir, 'responses.json')
    const stored = JSON.parse(await readFile(file, 'utf8')) as { responses: { id: string }[] }
    expect(stored.responses.map((r) => r.id)).toContain(res.id)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })
})

describe('in-stream errors on /v1/responses', () => {
  it("number the relay's own error event after the last event", async () => {
    h.emu.script({ kind: 'cut_mid_stream', afterEvents: 3 })
    const res = await post('/v1/responses', { model: 'gpt-5.5', input: 'hi', stream: true })
    const frames = events(await res.text())
    const last = frames.at(-1)
    expect(last?.event).toBe('error')
    const numbers = frames.slice(0, -1).map((f) => f.data.sequence_number as number)
    expect(last?.data).toMatchObject({
      type: 'error',
      code: 'incomplete_stream',
      sequence_number: Math.max(...numbers) + 1,
    })
  })
})

describe('stop on chat streams', () => {
  it('ends the text at the match, finishes with stop and closes the upstream request', async () => {
    h.emu.script({ kind: 'pace', events: 40, gapMs: 5 })
    const res = await post('/v1/chat/completions', {
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'Reply with exactly: one two three four five six seven eight nine ten' },
      ],
      stream: true,
      stop: ['four'],
    })
    const text = await res.text()
    const chunks = text
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map(
        (f) =>
          JSON.parse(f.slice(6)) as {
            id: string
            choices: { delta: { content?: string }; finish_reason: string | null }[]
          },
      )
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three ')
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop'])
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true)
    for (const chunk of chunks) expect(chunk.id).toMatch(/^chatcmpl-/)
    const upstream = await h.emu.waitFor((r) => r.route === 'responses' && r.outcome !== undefined, 5_000)
    expect(upstream.outcome).toBe('aborted')
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { codexBody, userInput } from './_test-helpers'
import type { UpstreamEmulator } from './index'
import { createUpstreamEmulator } from './index'

let emu: UpstreamEmulator
beforeAll(async () => {
  emu = await createUpstreamEmulator()
})
afterAll(async () => {
  await emu.close()
})
beforeEach(() => {
  emu.reset()
})

type Frame = Record<string, unknown> & { type: string }

/** Open the backend's Responses WebSocket; resolves with the socket or the refused status. */
function open(
  headers: Record<string, string>,
): Promise<{ ws: WebSocket; next: (until: string[]) => Promise<Frame[]> }> {
  const ws = new WebSocket(`${emu.backendUrl.replace(/^http/, 'ws')}/responses`, { headers })
  const frames: Frame[] = []
  let wake: (() => void) | null = null
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame)
    wake?.()
  })
  const next = async (until: string[]): Promise<Frame[]> => {
    const out: Frame[] = []
    for (;;) {
      const frame = frames.shift()
      if (frame) {
        out.push(frame)
        if (until.includes(frame.type)) return out
        continue
      }
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  }
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, next }))
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error('refused'), { status: res.statusCode })),
    )
    ws.once('error', reject)
  })
}

function auth(): Record<string, string> {
  const tokens = emu.issueTokens()
  return { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': tokens.account_id }
}

describe('the Responses WebSocket', () => {
  it('refuses a handshake without valid credentials, as HTTP does', async () => {
    await expect(open({})).rejects.toMatchObject({ status: 401 })
    await expect(open({ authorization: auth().authorization as string })).rejects.toMatchObject({
      status: 400,
    })
  })

  it('streams the scripted events as JSON frames and continues a thread with previous_response_id', async () => {
    emu.script({ kind: 'reply', output: { text: 'first' } }, { kind: 'reply', output: { text: 'second' } })
    const { ws, next } = await open(auth())
    ws.send(JSON.stringify({ type: 'response.create', ...codexBody({ input: userInput('one') }) }))
    const first = await next(['response.completed', 'error'])
    expect(first[0]?.type).toBe('response.created')
    const completed = first.at(-1) as unknown as { type: string; response: { id: string } }
    expect(completed.type).toBe('response.completed')

    ws.send(
      JSON.stringify({
        type: 'response.create',
        ...codexBody({ input: userInput('two') }),
        previous_response_id: completed.response.id,
      }),
    )
    const second = await next(['response.completed', 'error'])
    expect(second.at(-1)?.type).toBe('response.completed')
    expect(JSON.stringify(second)).toContain('second')

    const recorded = emu.requests.filter((r) => r.route === 'responses')
    expect(recorded.map((r) => [r.transport, r.outcome])).toEqual([
      ['websocket', 'completed'],
      ['websocket', 'completed'],
    ])
    // The second frame carried only the new item.
    expect(JSON.stringify((recorded[1]?.body as { input: unknown } | undefined)?.input)).not.toContain('one')
    ws.close()
  })

  it('answers an unknown previous_response_id with an error event', async () => {
    const { ws, next } = await open(auth())
    ws.send(JSON.stringify({ type: 'response.create', ...codexBody(), previous_response_id: 'resp_nope' }))
    const [error] = await next(['error'])
    expect(error).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } })
    ws.close()
  })
})

// Monitors and Claude Code send HEAD at start: every GET route answers HEAD like GET, without a body.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Stack, startStack } from './_harness'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack?.close())

const GET_ROUTES: [path: string, auth: boolean][] = [
  ['/healthz', false],
  ['/', false],
  ['/v1/models', true],
  ['/v1/models/gpt-5.5', true],
  ['/no-tools/v1/models', true],
  ['/v1/files', true],
  ['/v1/relay/status', true],
  ['/v1/subscription/status', true],
  ['/v1/account/rate_limits', true],
  ['/v1/conversations/conv_00000000000000000000000000000000', true],
  ['/v1/responses/resp_unknown', true],
]

it.each(GET_ROUTES)('HEAD %s answers like GET, without a body', async (path, auth) => {
  const headers: Record<string, string> = auth ? { authorization: `Bearer ${stack.token}` } : {}
  const get = await fetch(`${stack.url}${path}`, { headers })
  await get.arrayBuffer()
  const head = await fetch(`${stack.url}${path}`, { method: 'HEAD', headers })
  expect(head.status).toBe(get.status)
  expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'))
  expect(head.headers.get('x-request-id')).toMatch(/^req_/)
  expect(await head.text()).toBe('')
})

it('HEAD without the token is refused like GET', async () => {
  const head = await fetch(`${stack.url}/v1/models`, { method: 'HEAD' })
  expect(head.status).toBe(401)
})

import { createHash, randomBytes } from 'node:crypto'
import type { UpstreamEmulator } from './types'

/** JSON inspected dynamically in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary JSON payloads
export type Loose = any

/** A parsed SSE event: the `event:` name and the JSON `data:` payload. */
export interface SseEvent {
  event: string
  data: Record<string, unknown>
}

export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = []
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue
    let event = ''
    let data = ''
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data += line.slice(6)
    }
    out.push({ event, data: JSON.parse(data) as Record<string, unknown> })
  }
  return out
}

/** A valid minimal Codex request body. */
export function codexBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-5.5',
    instructions: '',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
    store: false,
    stream: true,
    ...overrides,
  }
}

export function userInput(text: string): unknown[] {
  return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }]
}

/** POST /responses with valid credentials unless `headers` overrides them. */
export async function postResponses(
  emu: UpstreamEmulator,
  body: unknown,
  headers: Record<string, string> = {},
  init: { signal?: AbortSignal } = {},
): Promise<Response> {
  const tokens = emu.issueTokens()
  return fetch(`${emu.backendUrl}/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': tokens.account_id,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
}

export function authHeaders(emu: UpstreamEmulator): Record<string, string> {
  const tokens = emu.issueTokens()
  return { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': tokens.account_id }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(64).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}

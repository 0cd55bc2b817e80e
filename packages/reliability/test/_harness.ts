// Shared harness of the B11 suite: a real relay (serveRelay on 127.0.0.1:0) in front of the real
// upstream emulator, from @airelays/test-utils, plus the B11 helpers (status body, envelope check,
// request bodies).
import { type RelayServer, type ServeRelayOptions, serveRelay } from '@airelays/server'
import {
  type RelayHarness as BaseHarness,
  type StartRelayOptions,
  startRelay as startTestRelay,
} from '@airelays/test-utils'
import type { UpstreamEmulator } from '@airelays/upstream-emulator'

export type RelayHarnessOptions = Omit<StartRelayOptions<ServeRelayOptions, RelayServer>, 'serve'>

export interface RelayHarness extends BaseHarness<RelayServer> {
  /** GET /v1/relay/status with the token. */
  status(): Promise<RelayStatusBody>
}

export interface RelayStatusBody {
  requests_total: number
  security: {
    tracked_clients: number
    blocked_clients: number
    active_clients: number
    client: {
      ip: string
      allowance_remaining: number
      active_requests: number
      failed_auth_attempts: number
      blocked_for_seconds: number
    } | null
  }
  storage: { file_count: number; total_bytes: number; conversation_count: number }
  relay: Record<string, unknown>
  [key: string]: unknown
}

export async function startRelay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const base = await startTestRelay<ServeRelayOptions, RelayServer>({
    tempPrefix: 'airelays-b11-',
    ...options,
    serve: serveRelay,
  })
  const harness: RelayHarness = Object.assign(base, {
    async status(): Promise<RelayStatusBody> {
      const res = await base.fetch('/v1/relay/status')
      if (res.status !== 200) throw new Error(`relay/status answered ${res.status}: ${await res.text()}`)
      return (await res.json()) as RelayStatusBody
    },
  })
  return harness
}

/** The OpenAI error envelope: asserts the four keys and returns the error object. */
export interface ErrorBody {
  message: string
  type: string
  param: string | null
  code: string | null
  [extra: string]: unknown
}

export function isEnvelope(body: unknown): body is { error: ErrorBody } {
  if (typeof body !== 'object' || body === null) return false
  const error = (body as { error?: unknown }).error
  if (typeof error !== 'object' || error === null) return false
  const e = error as Record<string, unknown>
  return (
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.type === 'string' &&
    (e.param === null || typeof e.param === 'string') &&
    (e.code === null || typeof e.code === 'string') &&
    'param' in e &&
    'code' in e
  )
}

/** A chat-completions body with a deterministic answer. */
export function chatBody(text = 'Reply with exactly: pong', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: text }], ...extra })
}

export const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' }

/** Requests the emulator recorded for one route. */
export function upstreamCalls(emu: UpstreamEmulator, route = 'responses'): number {
  return emu.requests.filter((r) => (r as { route?: string }).route === route).length
}

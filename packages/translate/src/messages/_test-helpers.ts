// Test helpers for the Messages surface (not exported from the package).

import { Stream } from '@anthropic-ai/sdk/core/streaming'
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream'
import type { ResponsesEvent } from '../types'
import { toAnthropicSse } from './events'
import type { AnthropicMessage, AnthropicStreamEvent, MessagesContext } from './types'

export function context(overrides: Partial<MessagesContext> = {}): MessagesContext {
  return {
    model: 'claude-opus-4-8',
    upstreamModel: 'gpt-5.5',
    stream: true,
    stopSequences: [],
    thinking: true,
    toolNameMap: {},
    newId: () => 'fixedid',
    ...overrides,
  }
}

/** Parses the SSE bytes of `events` with the SDK (`Stream.fromSSEResponse`) and accumulates
 * them with `MessageStream`, as `client.messages.stream()` does; resolves the final message. */
export async function sdkFinalMessage(events: AnthropicStreamEvent[]): Promise<AnthropicMessage> {
  const bytes = new TextEncoder().encode(events.map((event) => toAnthropicSse(event)).join(''))
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Split the bytes to exercise the SDK's line decoder across chunk boundaries.
      for (let at = 0; at < bytes.length; at += 37) controller.enqueue(bytes.slice(at, at + 37))
      controller.close()
    },
  })
  const response = new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  const sse = Stream.fromSSEResponse(response, new AbortController())
  const stream = MessageStream.fromReadableStream(sse.toReadableStream())
  return (await stream.finalMessage()) as unknown as AnthropicMessage
}

/** Checks the Anthropic event grammar; returns a description of the first violation or null. */
export function grammarViolation(events: AnthropicStreamEvent[]): string | null {
  if (events.length === 0) return 'no events'
  const last = events.at(-1) as AnthropicStreamEvent
  const errors = events.filter((e) => e.event === 'error')
  if (errors.length > 1) return 'more than one error'
  if (errors.length === 1 && last.event !== 'error') return 'error is not last'
  const starts = events.filter((e) => e.event === 'message_start')
  if (starts.length > 1) return 'more than one message_start'
  if (last.event !== 'error') {
    if (events[0]?.event !== 'message_start') return 'message_start is not first'
    if (last.event !== 'message_stop') return 'message_stop is not last'
    if (events.at(-2)?.event !== 'message_delta') return 'message_delta is not before message_stop'
    if (events.filter((e) => e.event === 'message_delta').length !== 1) return 'not exactly one message_delta'
  } else if (starts.length === 1 && events[0]?.event !== 'message_start') {
    return 'message_start is not first'
  }
  let open: number | null = null
  let next = 0
  for (const event of events) {
    if (event.event === 'content_block_start') {
      if (open !== null) return `block ${event.data.index} started while ${open} is open`
      if (event.data.index !== next) return `block ${event.data.index} out of sequence (expected ${next})`
      open = event.data.index
      next += 1
    } else if (event.event === 'content_block_delta') {
      if (open !== event.data.index) return `delta for block ${event.data.index} that is not open`
    } else if (event.event === 'content_block_stop') {
      if (open !== event.data.index) return `stop for block ${event.data.index} that is not open`
      open = null
    } else if (event.event === 'message_delta' && open !== null) {
      return `message_delta while block ${open} is open`
    }
  }
  return null
}

export function push(
  events: ResponsesEvent[],
  translator: {
    push(event: unknown): AnthropicStreamEvent[]
    end(): AnthropicStreamEvent[]
    finished: boolean
  },
): AnthropicStreamEvent[] {
  const out: AnthropicStreamEvent[] = []
  for (const event of events) {
    out.push(...translator.push(event))
    if (translator.finished) return out
  }
  out.push(...translator.end())
  return out
}

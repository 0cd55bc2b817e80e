import type { ResponsesEvent } from '../types'
import { messagesStreamTranslator } from './stream'
import type { AnthropicStreamEvent, MessagesContext, MessagesStreamOptions } from './types'

/**
 * The async-iterable form of {@link messagesStreamTranslator}: every Anthropic event for
 * `events`, ending with `message_stop` or one `error`. Reading stops at the end of the message
 * (the source's `return()` runs).
 */
export async function* anthropicEvents(
  events: AsyncIterable<ResponsesEvent> | Iterable<ResponsesEvent>,
  context: MessagesContext,
  options: MessagesStreamOptions = {},
): AsyncGenerator<AnthropicStreamEvent, void, undefined> {
  const translator = messagesStreamTranslator(context, options)
  try {
    for await (const event of events) {
      yield* translator.push(event)
      if (translator.finished) return
    }
  } catch (error) {
    yield* translator.fail(error)
    return
  }
  yield* translator.end()
}

/** One SSE frame for an Anthropic event: `event: <name>`, `data: <JSON>` and a blank line. */
export function toAnthropicSse(
  event: AnthropicStreamEvent | { event: 'ping'; data: { type: 'ping' } },
): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`
}

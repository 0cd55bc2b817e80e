import type { ResponsesObject, TranslationContext } from '@airelays/translate'
import type { ResponsesEvent } from '@airelays/upstream-client'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { Conversation } from '../stores/conversations'

/** Records what the upstream stream reveals (terminal response, usage) and logs stream lines when asked. */
export class StreamTap {
  response: ResponsesObject | null = null
  readonly #req: RelayRequest
  readonly #logLines: boolean

  constructor(req: RelayRequest, logLines: boolean) {
    this.#req = req
    this.#logLines = logLines
  }

  /** The events of `events`, observed on the way (the non-stream path). */
  async *wrap(events: AsyncIterable<ResponsesEvent>): AsyncGenerator<ResponsesEvent, void, undefined> {
    for await (const event of events) {
      this.observe(event)
      yield event
    }
  }

  observe(event: ResponsesEvent): void {
    if (this.#logLines) this.#req.record('upstream_stream_line', { event })
    if (
      (event.type === 'response.completed' || event.type === 'response.incomplete') &&
      typeof event.response === 'object' &&
      event.response !== null
    ) {
      this.response = event.response as ResponsesObject
    }
  }
}

/** What {@link recordOutcome} needs besides the request. */
export interface OutcomeSources {
  tap: StreamTap
  context: TranslationContext
  conversation: Conversation | null
}

/**
 * Once the upstream answer is known: its id, model and usage go to the `outbound_response` record
 * (and an `outbound_usage` record), and the conversation remembers the response id.
 */
export async function recordOutcome(
  rt: RelayRuntime,
  req: RelayRequest,
  sources: OutcomeSources,
): Promise<void> {
  const response = sources.tap.response
  if (!response) return
  const model = response.model ?? sources.context.model
  req.note({ id: response.id, model, usage: response.usage ?? null })
  if (response.usage) req.record('outbound_usage', { model, usage: response.usage })
  const { conversation } = sources
  if (conversation && typeof response.id === 'string') {
    await rt.conversations.setLatestResponse(conversation.id, response.id).catch((error: unknown) => {
      rt.logger.warn(`AIRelays could not update conversation ${conversation.id}: ${String(error)}`)
    })
  }
}

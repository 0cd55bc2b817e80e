/**
 * Public types of the Anthropic Messages surface of @airelays/translate: what
 * {@link translateMessagesRequest} returns and what the Messages stream translator and
 * {@link toAnthropicMessage} produce. Shapes follow the Anthropic Messages API (2023-06-01).
 */

import type { ResponsesRequest, TranslationFailure } from '../types'

// ---------------------------------------------------------------------------------------------
// Model mapping
// ---------------------------------------------------------------------------------------------

/** Where a Claude model name goes upstream: a subscription model and, optionally, an effort. */
export interface ClaudeModelTarget {
  /** Upstream model id, e.g. `gpt-5.5`. */
  model: string
  /** Default `reasoning.effort` (`low` | `medium` | `high` | `xhigh` …); the request's own effort wins. */
  effort?: string
}

/**
 * Claude model name -> target. Keys are matched case-insensitively against the requested model
 * with a trailing `[1m]` removed, in this order:
 * 1. an exact key (`claude-opus-4-8`);
 * 2. a family key — a key without `*` and without the `claude-` prefix (`opus`, `sonnet`,
 *    `haiku`, `fable`) — when the model starts with `claude-` and has the key as a
 *    `-`-separated word (`claude-opus-4-8`, `claude-3-5-haiku-latest`);
 * 3. a pattern key with `*` wildcards (`claude-*`), the longest matching pattern first.
 * A model no key matches is sent upstream unchanged, with no default effort (so `gpt-5.5` works).
 */
export type ClaudeModelTable = Readonly<Record<string, ClaudeModelTarget>>

/**
 * A table (see {@link ClaudeModelTable}) or a function. A function returning null or undefined
 * sends the model unchanged with no default effort.
 */
export type ClaudeModelMap = ClaudeModelTable | ((model: string) => ClaudeModelTarget | null | undefined)

/** The outcome of {@link resolveClaudeModel}. */
export interface ResolvedClaudeModel {
  /** Upstream model id. */
  model: string
  /** Default effort, or null for none. */
  effort: string | null
}

// ---------------------------------------------------------------------------------------------
// Request direction
// ---------------------------------------------------------------------------------------------

/** Options of {@link translateMessagesRequest}. */
export interface MessagesTranslateOptions {
  /**
   * Claude model name -> subscription model and effort.
   * @default DEFAULT_CLAUDE_MODEL_MAP
   */
  models?: ClaudeModelMap
  /**
   * The session id (also `prompt_cache_key`), e.g. the `x-claude-code-session-id` header.
   * @default the `session_id` of a JSON `metadata.user_id`, else a hash of the instructions and
   * first user message (`airelays-` + 32 hex characters)
   */
  sessionId?: string
}

/** A change the Messages translator made so the backend accepts the request. */
export interface MessagesAdaptation {
  code: /** Claude Code's `x-anthropic-billing-header:` system block was removed. */
    | 'attribution_dropped'
    /** Thinking blocks whose signature is not a relay signature for this model were removed. */
    | 'foreign_thinking_dropped'
    /** `redacted_thinking` blocks were removed. */
    | 'redacted_thinking_dropped'
    /** Server-tool history blocks (`server_tool_use`, `*_tool_result`) were removed. */
    | 'server_tool_history_dropped'
    /** Tools the backend has no equivalent for (`bash_*`, `code_execution_*`, …) were removed. */
    | 'server_tools_dropped'
    /** Function names longer than 64 characters were shortened (and are mapped back). */
    | 'tool_names_shortened'
  /** How many blocks, tools or names were affected. */
  count: number
  /** One human sentence, for logs. */
  message: string
}

/** What the response direction needs to know about a translated Messages request. */
export interface MessagesContext {
  /** The model name the client asked for, echoed in `message.model`. */
  model: string
  /** The upstream model the request was sent to. */
  upstreamModel: string
  /** Whether the client asked for a stream (`stream: true`). */
  stream: boolean
  /** The client's `stop_sequences`, honoured on the output (the backend has no such parameter). */
  stopSequences: string[]
  /** Whether thinking blocks are returned (thinking `enabled` or `adaptive`). */
  thinking: boolean
  /** Upstream tool name -> client tool name, for names shortened to 64 characters. */
  toolNameMap: Record<string, string>
  /** Source of default message ids (the part after `msg_`). @default 24 random hex characters */
  newId?: () => string
}

/** A successful Messages request translation. */
export interface MessagesTranslationSuccess {
  ok: true
  /** The body for `POST {backend}/responses`. */
  request: ResponsesRequest
  /**
   * Client parameters that were not forwarded (the backend refuses them or has no equivalent),
   * for a response header: `temperature`, `top_p`, `max_tokens` first, then alphabetically
   * (`cache_control` when any block, tool or the body carried one, `context_management`,
   * `metadata`, `stop_sequences`, `top_k`, unknown keys …).
   */
  ignoredParameters: string[]
  adaptations: MessagesAdaptation[]
  /** The session id (= `request.prompt_cache_key`); send it as the `session_id` header. */
  sessionId: string
  context: MessagesContext
}

/**
 * What {@link translateMessagesRequest} returns. A failure carries a 400 `ValidationError`
 * whose `param` is the Anthropic-style path (`messages.2.content.0.source`); turn it into the
 * Anthropic envelope with {@link toAnthropicError}.
 */
export type MessagesTranslationResult = MessagesTranslationSuccess | TranslationFailure

// ---------------------------------------------------------------------------------------------
// Response direction
// ---------------------------------------------------------------------------------------------

/** Why an Anthropic message ended. */
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal'

/** Anthropic usage. `input_tokens` is the uncached input; cached input is `cache_read_input_tokens`. */
export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

/** A response content block. */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }

/** A non-stream Anthropic message (and, with empty content, the `message_start` message). */
export interface AnthropicMessage {
  id: string
  type: 'message'
  role: 'assistant'
  content: AnthropicContentBlock[]
  model: string
  stop_reason: AnthropicStopReason | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

/** A `content_block_delta` delta. */
export type AnthropicDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string }

/** Anthropic `error.type` values. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error'

/** The Anthropic error envelope (HTTP bodies; stream `error` events carry it without `request_id`). */
export interface AnthropicErrorEnvelope {
  type: 'error'
  error: { type: AnthropicErrorType; message: string }
  request_id?: string | null
}

/**
 * One Anthropic stream event: write `event: <event>` and `data: <JSON of data>` and a blank line
 * (see {@link toAnthropicSse}). An `error` event ends the stream; `upstreamError` is the
 * upstream's error object when there was one (for logs, never written).
 */
export type AnthropicStreamEvent =
  | { event: 'message_start'; data: { type: 'message_start'; message: AnthropicMessage } }
  | {
      event: 'content_block_start'
      data: { type: 'content_block_start'; index: number; content_block: AnthropicContentBlock }
    }
  | {
      event: 'content_block_delta'
      data: { type: 'content_block_delta'; index: number; delta: AnthropicDelta }
    }
  | { event: 'content_block_stop'; data: { type: 'content_block_stop'; index: number } }
  | {
      event: 'message_delta'
      data: {
        type: 'message_delta'
        delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null }
        usage: AnthropicUsage
      }
    }
  | { event: 'message_stop'; data: { type: 'message_stop' } }
  | { event: 'error'; data: AnthropicErrorEnvelope; upstreamError?: unknown }

/** Options of the Messages stream translator. */
export interface MessagesStreamOptions {
  /**
   * The input-token estimate put in `message_start.usage.input_tokens` (the upstream's count
   * arrives only at the end, in `message_delta`). Claude Code's context meter reads it.
   * @default 0
   */
  inputTokens?: number
}

/**
 * A push-based translator of upstream Responses events into Anthropic stream events, with the
 * shape of {@link StreamTranslator}: synchronous, no I/O.
 */
export interface MessagesStreamTranslator {
  /** The events for one upstream event (often none). Events after the stream finished give none. */
  push(event: unknown): AnthropicStreamEvent[]
  /** The `error` event for a failure thrown by the event source; the stream is then finished. */
  fail(error: unknown): AnthropicStreamEvent[]
  /** The events when the source ended: an `api_error` unless the stream already finished. */
  end(): AnthropicStreamEvent[]
  /**
   * True once `message_stop` or `error` was returned. After a local stop-sequence match it is
   * true before the upstream finished: stop reading (and abort) the upstream.
   */
  readonly finished: boolean
}

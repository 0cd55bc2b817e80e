/**
 * Public types of @airelays/translate.
 *
 * Request bodies arrive as `unknown` (they are parsed client JSON) and are validated by the
 * translators. The types below describe what the translators produce and what the stream
 * transforms consume. Upstream objects are typed loosely on purpose: the Codex backend adds
 * fields over time and the translators pass unknown fields through untouched.
 */

/** A JSON object with unknown members. */
export type JsonObject = { [key: string]: unknown }

// ---------------------------------------------------------------------------------------------
// Requests (what the translators send upstream)
// ---------------------------------------------------------------------------------------------

/** A content part of a Responses `message` input item. */
export type ResponsesContentPart =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string }
  | { type: 'refusal'; refusal: string }
  | { type: 'input_image'; image_url: string; detail: string }
  | { type: 'input_file'; [key: string]: unknown }
  | { type: string; [key: string]: unknown }

/** A Responses `message` input item. */
export interface ResponsesMessageItem {
  type: 'message'
  role: 'user' | 'assistant' | 'developer'
  content: ResponsesContentPart[]
}

/** A Responses `function_call` input item (an earlier tool call of the assistant). */
export interface ResponsesFunctionCallItem {
  type: 'function_call'
  call_id: string
  name: string
  /** JSON text. */
  arguments: string
}

/** A Responses `function_call_output` input item (the result of a tool call). */
export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output'
  call_id: string
  output: string
}

/** Any input item (the Responses route passes unknown item types through). */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | JsonObject

/** A flat Responses function tool. */
export interface ResponsesFunctionTool {
  type: 'function'
  name: string
  description?: string
  parameters: JsonObject
  strict?: boolean
}

/** `tool_choice` as the Responses API takes it. */
export type ResponsesToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string }

/** `text.format` of a Responses request. */
export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_schema'; name: string; schema: JsonObject; strict?: boolean; description?: string }

/** The body sent to `POST {backend}/responses`. */
export interface ResponsesRequest {
  model: string
  /** Always a non-empty string ("." when the client gave none). */
  instructions: string
  input: ResponsesInputItem[]
  tools: (ResponsesFunctionTool | JsonObject)[]
  tool_choice?: ResponsesToolChoice | JsonObject
  parallel_tool_calls?: boolean
  reasoning?: { effort?: string; summary?: string } & JsonObject
  include?: string[]
  text?: { format?: ResponsesTextFormat | JsonObject; verbosity?: string } & JsonObject
  store: false
  stream: true
  /** The session id: also sent as the `session_id` header by the server. */
  prompt_cache_key: string
  service_tier?: string
  /** The Responses route passes unknown top-level fields through. */
  [key: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// Translation results
// ---------------------------------------------------------------------------------------------

/** Stable codes of validation failures (`error.code` on the wire). */
export type ValidationErrorCode =
  | 'invalid_request'
  | 'invalid_type'
  | 'invalid_value'
  | 'missing_required_parameter'
  | 'unsupported_parameter'
  | 'unsupported_value'
  | 'tools_disabled'
  | 'tool_schema_too_deep'

/**
 * A validation failure, ready for the `{"error":{…}}` envelope. Returned (never thrown) by the
 * request translators. `param` names the offending parameter path, e.g. `messages[2].content`.
 */
export interface ValidationError {
  status: 400
  type: 'invalid_request_error'
  message: string
  param: string | null
  code: ValidationErrorCode
}

/** A change the translator made to keep the request acceptable to the backend. */
export interface Adaptation {
  /** Stable code, e.g. `input_item_ids_removed`. */
  code:
    | 'input_item_ids_removed'
    | 'item_references_dropped'
    | 'system_messages_to_instructions'
    | 'tool_names_shortened'
  /** How many items or names were affected. */
  count: number
  /** One human sentence, for logs. */
  message: string
}

/**
 * A reference to a local upload (or an inline file) that the translator left untouched for
 * `@airelays/file-inliner` to expand. `path` points into the translated request.
 */
export interface FileReference {
  /** Path into `request`, e.g. `['input', 3, 'content', 1]`. */
  path: (string | number)[]
  /** The client's parameter path, e.g. `messages[2].content[1]`, for error messages. */
  param: string
  /** The part's `type` as the client sent it (`image_url`, `file`, `input_file`, …). */
  partType: string
  /** The local file id, or null for an inline `file_data` part. */
  fileId: string | null
}

/** Which client route a context belongs to. */
export type TranslationRoute = 'chat' | 'completions' | 'responses'

/**
 * What the response direction needs to know about the request. Returned by the request
 * translators; pass it to the stream transforms and the non-stream converters.
 */
export interface TranslationContext {
  route: TranslationRoute
  /** The model the client asked for (the default chunk `model` before `response.created`). */
  model: string
  /** Whether the client asked for a stream (`stream: true`). */
  stream: boolean
  /** `stream_options.include_usage`: append a usage chunk to streams. */
  includeUsage: boolean
  /** Upstream tool name -> client tool name, for names shortened to 64 characters. */
  toolNameMap: Record<string, string>
  /** Clock for default `created` values, epoch milliseconds. @default Date.now */
  now?: () => number
  /** Source of default ids (the part after `chatcmpl-` / `cmpl-`). @default 24 random hex chars */
  newId?: () => string
  /**
   * Stop sequences (chat / completions `stop`), honoured locally on the output text: it ends
   * before the first match with `finish_reason: "stop"`. @default []
   */
  stop?: string[]
  /**
   * The prompt-token estimate reported in the usage chunk of a stream that ended at a local stop
   * match (the upstream's own usage has not arrived then). @default 0
   */
  inputTokens?: number
  /**
   * `previous_response_id` of a Responses request: removed from the upstream request (the backend
   * stores nothing); the caller expands it from the responses it kept, or answers 404.
   */
  previousResponseId?: string
  /**
   * `false` when a Responses request said `store: false`: like on the OpenAI API, its answer is not
   * to be kept for a later `previous_response_id`. Absent otherwise.
   */
  store?: false
}

/** A successful request translation. */
export interface TranslationSuccess {
  ok: true
  request: ResponsesRequest
  /**
   * Client parameters that were removed and not honoured, in a fixed order: temperature,
   * top_p, presence_penalty, frequency_penalty, max_output_tokens, max_completion_tokens,
   * max_tokens, then the others alphabetically. Reported even when their value was null.
   */
  ignoredParameters: string[]
  /** Structural changes made for the backend (ids stripped, items dropped, names shortened). */
  adaptations: Adaptation[]
  /** The session id (= `request.prompt_cache_key`); send it as the `session_id` header. */
  sessionId: string
  /** File references left for the file inliner, in request order. */
  fileRefs: FileReference[]
  context: TranslationContext
}

/** A failed request translation. */
export interface TranslationFailure {
  ok: false
  error: ValidationError
}

/** What every request translator returns. */
export type TranslationResult = TranslationSuccess | TranslationFailure

/** Options of {@link translateChatRequest} and {@link normalizeResponsesRequest}. */
export interface TranslateOptions {
  /**
   * The `/no-tools/v1` variant: requests that define or force tools are rejected with
   * "This route disables tools." and no tools are sent upstream.
   * @default false
   */
  noTools?: boolean
}

// ---------------------------------------------------------------------------------------------
// Upstream events and objects
// ---------------------------------------------------------------------------------------------

/** One Responses SSE event, keyed by its JSON `type`. */
export interface ResponsesEvent {
  type: string
  sequence_number?: number
  [key: string]: unknown
}

/** Usage as the Responses API reports it. */
export interface ResponsesUsage {
  input_tokens?: number
  input_tokens_details?: { cached_tokens?: number } | null
  output_tokens?: number
  output_tokens_details?: { reasoning_tokens?: number } | null
  total_tokens?: number
  [key: string]: unknown
}

/** An output item of a Responses object (message, reasoning, function_call, …). */
export interface ResponsesOutputItem {
  type: string
  id?: string
  [key: string]: unknown
}

/** The Responses object carried by `response.*` events. */
export interface ResponsesObject {
  id: string
  object?: string
  created_at?: number
  status?: string
  model?: string
  output: ResponsesOutputItem[]
  usage?: ResponsesUsage | null
  error?: JsonObject | null
  incomplete_details?: { reason?: string } | null
  [key: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// Client-side response shapes
// ---------------------------------------------------------------------------------------------

/** Chat Completions usage (design §3.2). */
export interface ChatUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  completion_tokens_details: { reasoning_tokens: number }
}

/** A tool call in a chat message or chunk delta. */
export interface ChatToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** A tool-call fragment inside a chunk delta. */
export interface ChatToolCallDelta {
  index: number
  id?: string
  type?: 'function'
  function: { name?: string; arguments: string }
}

/** The delta of a `chat.completion.chunk` choice. */
export interface ChatChunkDelta {
  role?: 'assistant'
  content?: string
  reasoning_content?: string
  refusal?: string
  tool_calls?: ChatToolCallDelta[]
}

/** A `chat.completion.chunk`. */
export interface ChatCompletionChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: {
    index: 0
    delta: ChatChunkDelta
    logprobs: null
    finish_reason: ChatFinishReason | null
  }[]
  /** Present (null, or the totals on the usage chunk) when `include_usage` was asked for. */
  usage?: ChatUsage | null
}

/** Why a chat choice ended. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

/** A non-stream `chat.completion`. */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: {
    index: 0
    message: {
      role: 'assistant'
      content: string | null
      refusal: string | null
      reasoning_content?: string
      tool_calls?: ChatToolCall[]
    }
    logprobs: null
    finish_reason: ChatFinishReason
  }[]
  usage: ChatUsage
}

/** A `text_completion` object (stream chunks use the same shape). */
export interface TextCompletion {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: {
    text: string
    index: 0
    logprobs: null
    finish_reason: 'stop' | 'length' | 'content_filter' | null
  }[]
  usage?: ChatUsage | null
}

/**
 * The one error envelope of AIRelays: `{"error":{message,type,param,code}}`, all four keys always
 * present (`null` where unknown). The relay sends it on every non-2xx JSON response and writes it
 * in-band when a stream fails; @airelays/server re-exports this type.
 */
export interface ErrorEnvelope {
  error: {
    message: string
    type: string
    param: string | null
    code: string | null
    /** Present on upstream usage-limit errors: seconds until the subscription window resets. */
    resets_in_seconds?: number
    /** Present on upstream usage-limit errors: the reset time in epoch seconds. */
    resets_at?: number
  }
}

/**
 * What the stream transforms yield, so the server frames SSE without guessing:
 * - `chunk`: write `data: <json>` and a blank line;
 * - `error`: write `data: <json>` and a blank line, then end the stream **without** `[DONE]`
 *   (`upstreamError` is the upstream's error object when there was one, for logs);
 * - `done`: write `data: [DONE]` and a blank line, then end the stream.
 * Exactly one `error` or `done` item ends every sequence.
 */
export type StreamItem<T> =
  | { kind: 'chunk'; data: T }
  | { kind: 'error'; data: ErrorEnvelope; upstreamError?: unknown }
  | { kind: 'done' }

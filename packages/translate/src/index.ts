// Public API of @airelays/translate: pure Chat Completions / Completions / Anthropic Messages <->
// Responses translation.

// Request direction
export { translateChatRequest } from './chat-request'
export { translateCompletionRequest } from './completion-request'
export { normalizeResponsesRequest } from './responses-request'

// Response direction: streams
export { chatChunks, chatStreamTranslator, completionChunks, completionStreamTranslator } from './stream'
export type { StreamTranslator } from './stream'

// Response direction: non-stream
export { aggregateResponse } from './aggregate'
export { toChatCompletion, toChatUsage, toTextCompletion } from './non-stream'

// Anthropic Messages surface
export { toAnthropicError, anthropicErrorType } from './messages/errors'
export type { AnthropicErrorInput, AnthropicErrorResult } from './messages/errors'
export { DEFAULT_CLAUDE_MODEL_MAP, resolveClaudeModel } from './messages/models'
export { toAnthropicMessage } from './messages/non-stream'
export { translateMessagesRequest } from './messages/request'
export { anthropicEvents, toAnthropicSse } from './messages/events'
export { messagesStreamTranslator } from './messages/stream'
export type {
  AnthropicContentBlock,
  AnthropicDelta,
  AnthropicErrorEnvelope,
  AnthropicErrorType,
  AnthropicMessage,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicUsage,
  ClaudeModelMap,
  ClaudeModelTable,
  ClaudeModelTarget,
  MessagesAdaptation,
  MessagesContext,
  MessagesStreamOptions,
  MessagesStreamTranslator,
  MessagesTranslateOptions,
  MessagesTranslationResult,
  MessagesTranslationSuccess,
  ResolvedClaudeModel,
} from './messages/types'

// Errors
export { isTranslateError, TranslateError } from './errors'
export type { TranslateErrorCode } from './errors'

// JSON text in pieces (large bodies without large strings)
export { escapedJsonPieces, JSON_PIECE_CHARS, jsonPieces } from './json-pieces'
export type { JsonReplacer } from './json-pieces'

// Upstream error vocabulary
export { UPSTREAM_CLIENT_CODES, UPSTREAM_QUOTA_CODES, UPSTREAM_USAGE_LIMIT_CODES } from './upstream-codes'

// Types
export type {
  Adaptation,
  ChatChunkDelta,
  ChatCompletion,
  ChatCompletionChunk,
  ChatFinishReason,
  ChatToolCall,
  ChatToolCallDelta,
  ChatUsage,
  ErrorEnvelope,
  FileReference,
  JsonObject,
  ResponsesContentPart,
  ResponsesEvent,
  ResponsesFunctionCallItem,
  ResponsesFunctionCallOutputItem,
  ResponsesFunctionTool,
  ResponsesInputItem,
  ResponsesMessageItem,
  ResponsesObject,
  ResponsesOutputItem,
  ResponsesRequest,
  ResponsesTextFormat,
  ResponsesToolChoice,
  ResponsesUsage,
  StreamItem,
  TextCompletion,
  TranslateOptions,
  TranslationContext,
  TranslationFailure,
  TranslationResult,
  TranslationRoute,
  TranslationSuccess,
  ValidationError,
  ValidationErrorCode,
} from './types'

import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/translate exports', () => {
  it('keeps its runtime surface small and explicit', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_CLAUDE_MODEL_MAP",
        "JSON_PIECE_CHARS",
        "TranslateError",
        "UPSTREAM_CLIENT_CODES",
        "UPSTREAM_QUOTA_CODES",
        "UPSTREAM_USAGE_LIMIT_CODES",
        "aggregateResponse",
        "anthropicErrorType",
        "anthropicEvents",
        "chatChunks",
        "chatStreamTranslator",
        "completionChunks",
        "completionStreamTranslator",
        "escapedJsonPieces",
        "isTranslateError",
        "jsonPieces",
        "messagesStreamTranslator",
        "normalizeResponsesRequest",
        "resolveClaudeModel",
        "toAnthropicError",
        "toAnthropicMessage",
        "toAnthropicSse",
        "toChatCompletion",
        "toChatUsage",
        "toTextCompletion",
        "translateChatRequest",
        "translateCompletionRequest",
        "translateMessagesRequest",
      ]
    `)
  })
})

import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('@airelays/translate exports', () => {
  it('keeps its runtime surface small and explicit', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "TranslateError",
        "UPSTREAM_CLIENT_CODES",
        "UPSTREAM_QUOTA_CODES",
        "UPSTREAM_USAGE_LIMIT_CODES",
        "aggregateResponse",
        "chatChunks",
        "chatStreamTranslator",
        "completionChunks",
        "completionStreamTranslator",
        "isTranslateError",
        "normalizeResponsesRequest",
        "toChatCompletion",
        "toChatUsage",
        "toTextCompletion",
        "translateChatRequest",
        "translateCompletionRequest",
      ]
    `)
  })
})

import { toChatCompletion, translateChatRequest } from '@airelays/translate'
import { createGeneration, type GenerateOptions } from '../generation/pipeline'
import type { WireFormat } from '../generation/wire-format'
import type { RelayRuntime } from '../runtime'
import { chatFrames } from '../streaming/chunk-frames'
import type { RelayHandler } from './handler'

/** Chat Completions on the Responses backend. */
export const chatFormat: WireFormat = {
  translate: (body, options) => translateChatRequest(body, options),
  fileParts: 'chat',
  object: 'chat.completion',
  toJson: (response, context) => toChatCompletion(response, context),
  frames: chatFrames,
}

/** `POST /v1/chat/completions`. */
export function chatRoute(rt: RelayRuntime, options: GenerateOptions): RelayHandler {
  const generate = createGeneration(rt, chatFormat)
  return (req) => generate(req, options)
}

// Anthropic `system` and `messages` -> Responses `instructions` and input items.

import { invalid, isObject } from '../_internal/util'
import type { JsonObject, ResponsesContentPart, ResponsesInputItem } from '../types'
import { decodeSignature } from './_signature'
import type { MessagesAdaptation } from './types'

/** Claude Code's attribution block, which must never reach the model. */
const ATTRIBUTION = 'x-anthropic-billing-header:'

/** Prefix of a `tool_result` output with `is_error: true`, so the model sees the failure. */
export const TOOL_ERROR_PREFIX = '[tool error] '

type Counts = Partial<Record<MessagesAdaptation['code'], number>>

/** State shared by the readers of one request. */
export interface ContentState {
  /** Upstream model: thinking signatures of another model are dropped. */
  upstreamModel: string
  counts: Counts
  /** Set when any block carried `cache_control`. */
  cacheControl: boolean
  /** tool_use ids seen so far (a tool_result must answer one). */
  callIds: Set<string>
  /** Client name of every function call of the history, by position in `input`. */
  calls: { item: JsonObject; client: string }[]
}

function count(state: ContentState, code: MessagesAdaptation['code']): void {
  state.counts[code] = (state.counts[code] ?? 0) + 1
}

function blocksOf(content: unknown, param: string): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  if (!Array.isArray(content)) {
    return invalid(
      `${param}: Input should be a valid string or list of content blocks.`,
      param,
      'invalid_type',
    )
  }
  return content.map((block, j) => {
    if (!isObject(block) || typeof block.type !== 'string') {
      invalid(
        `${param}.${j}: Input should be a content block object with a \`type\`.`,
        `${param}.${j}`,
        'invalid_type',
      )
    }
    return block
  })
}

function textOf(block: JsonObject, param: string): string {
  if (typeof block.text !== 'string')
    invalid(`${param}.text: Input should be a valid string.`, `${param}.text`, 'invalid_type')
  return block.text
}

function unsupported(block: JsonObject, param: string): never {
  return invalid(
    `${param}.type: Content block type \`${String(block.type)}\` is not supported here.`,
    `${param}.type`,
    'unsupported_value',
  )
}

function isAttribution(text: string): boolean {
  return text.trimStart().startsWith(ATTRIBUTION)
}

/** Top-level `system` (string or text blocks) -> instruction text, attribution block dropped. */
export function systemText(value: unknown, state: ContentState): string {
  if (value === undefined || value === null) return ''
  const pieces: string[] = []
  blocksOf(value, 'system').forEach((block, j) => {
    if (block.type !== 'text') unsupported(block, `system.${j}`)
    if (block.cache_control !== undefined) state.cacheControl = true
    const text = textOf(block, `system.${j}`)
    if (isAttribution(text)) count(state, 'attribution_dropped')
    else if (text.trim() !== '') pieces.push(text)
  })
  return pieces.join('\n\n')
}

function sourceOf(block: JsonObject, param: string): JsonObject {
  if (!isObject(block.source))
    invalid(`${param}.source: Field required.`, `${param}.source`, 'missing_required_parameter')
  return block.source
}

function imagePart(block: JsonObject, param: string): ResponsesContentPart {
  const source = sourceOf(block, param)
  if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return {
      type: 'input_image',
      image_url: `data:${source.media_type};base64,${source.data}`,
      detail: 'auto',
    }
  }
  if (source.type === 'url' && typeof source.url === 'string' && source.url !== '') {
    return { type: 'input_image', image_url: source.url, detail: 'auto' }
  }
  return invalid(
    `${param}.source: Only base64 and url image sources are supported.`,
    `${param}.source`,
    'unsupported_value',
  )
}

function documentParts(block: JsonObject, param: string): ResponsesContentPart[] {
  const source = sourceOf(block, param)
  const title = typeof block.title === 'string' && block.title !== '' ? block.title : null
  if (source.type === 'base64' && typeof source.data === 'string') {
    const mediaType = typeof source.media_type === 'string' ? source.media_type : 'application/pdf'
    return [
      {
        type: 'input_file',
        filename: title ?? 'document.pdf',
        file_data: `data:${mediaType};base64,${source.data}`,
      },
    ]
  }
  if (source.type === 'url' && typeof source.url === 'string' && source.url !== '') {
    return [{ type: 'input_file', file_url: source.url }]
  }
  if (source.type === 'text' && typeof source.data === 'string') {
    return [{ type: 'input_text', text: title === null ? source.data : `${title}\n\n${source.data}` }]
  }
  if (source.type === 'content') return userParts(source.content, `${param}.source.content`)
  return invalid(
    `${param}.source: Only base64, url, text and content document sources are supported.`,
    `${param}.source`,
    'unsupported_value',
  )
}

/** One text, image or document block (of a user turn, a document or a tool result) as parts. */
function blockParts(block: JsonObject, at: string): ResponsesContentPart[] {
  if (block.type === 'text') return [{ type: 'input_text', text: textOf(block, at) }]
  if (block.type === 'image') return [imagePart(block, at)]
  if (block.type === 'document') return documentParts(block, at)
  if (block.type === 'search_result' && Array.isArray(block.content))
    return userParts(block.content, `${at}.content`)
  if (block.type === 'tool_reference' && typeof block.tool_name === 'string') {
    return [{ type: 'input_text', text: `[Loaded tool: ${block.tool_name}]` }]
  }
  return unsupported(block, at)
}

function userParts(content: unknown, param: string): ResponsesContentPart[] {
  return blocksOf(content, param).flatMap((block, j) => blockParts(block, `${param}.${j}`))
}

function toolResult(block: JsonObject, param: string, state: ContentState): ResponsesInputItem {
  const callId = block.tool_use_id
  if (typeof callId !== 'string' || callId === '') {
    invalid(`${param}.tool_use_id: Field required.`, `${param}.tool_use_id`, 'missing_required_parameter')
  }
  if (!state.callIds.has(callId)) {
    invalid(
      `${param}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${callId}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in a previous message.`,
      param,
      'invalid_value',
    )
  }
  const content = block.content === undefined || block.content === null ? '' : block.content
  const parts = userParts(content, `${param}.content`)
  const prefix = block.is_error === true ? TOOL_ERROR_PREFIX : ''
  if (parts.every((part) => part.type === 'input_text')) {
    const text = parts.map((part) => String((part as JsonObject).text)).join('\n')
    return { type: 'function_call_output', call_id: callId, output: `${prefix}${text}` }
  }
  const output = prefix === '' ? parts : [{ type: 'input_text', text: prefix.trim() }, ...parts]
  return { type: 'function_call_output', call_id: callId, output }
}

/** Appends one turn's items; consecutive parts of one role share a message item. */
class TurnWriter {
  #parts: ResponsesContentPart[] = []

  constructor(
    readonly input: ResponsesInputItem[],
    readonly role: 'user' | 'assistant' | 'developer',
  ) {}

  part(part: ResponsesContentPart): void {
    this.#parts.push(part)
  }

  item(item: ResponsesInputItem): void {
    this.flush()
    this.input.push(item)
  }

  flush(): void {
    if (this.#parts.length === 0) return
    this.input.push({ type: 'message', role: this.role, content: this.#parts })
    this.#parts = []
  }
}

function userTurn(content: unknown, param: string, out: TurnWriter, state: ContentState): void {
  blocksOf(content, param).forEach((block, j) => {
    const at = `${param}.${j}`
    if (block.cache_control !== undefined) state.cacheControl = true
    if (block.type === 'tool_result') out.item(toolResult(block, at, state))
    else if (block.type === 'text' && textOf(block, at) === '') return
    else for (const part of blockParts(block, at)) out.part(part)
  })
}

function systemTurn(content: unknown, param: string, out: TurnWriter, state: ContentState): void {
  blocksOf(content, param).forEach((block, j) => {
    if (block.cache_control !== undefined) state.cacheControl = true
    if (block.type === 'tool_addition' || block.type === 'tool_removal') return
    if (block.type !== 'text') unsupported(block, `${param}.${j}`)
    const text = textOf(block, `${param}.${j}`)
    if (isAttribution(text)) count(state, 'attribution_dropped')
    else if (text !== '') out.part({ type: 'input_text', text })
  })
}

function toolUse(block: JsonObject, param: string, state: ContentState): JsonObject {
  if (typeof block.id !== 'string' || block.id === '')
    invalid(`${param}.id: Field required.`, `${param}.id`, 'missing_required_parameter')
  if (typeof block.name !== 'string' || block.name === '') {
    invalid(`${param}.name: Field required.`, `${param}.name`, 'missing_required_parameter')
  }
  const input = block.input === undefined || block.input === null ? {} : block.input
  if (!isObject(input))
    invalid(`${param}.input: Input should be a valid dictionary.`, `${param}.input`, 'invalid_type')
  state.callIds.add(block.id)
  const item: JsonObject = {
    type: 'function_call',
    call_id: block.id,
    name: block.name,
    arguments: JSON.stringify(input),
  }
  state.calls.push({ item, client: block.name })
  return item
}

function thinking(block: JsonObject, state: ContentState): JsonObject | null {
  const decoded = decodeSignature(block.signature)
  if (decoded === null || decoded.model !== state.upstreamModel) {
    count(state, 'foreign_thinking_dropped')
    return null
  }
  const text = typeof block.thinking === 'string' ? block.thinking : ''
  return {
    type: 'reasoning',
    summary: text === '' ? [] : [{ type: 'summary_text', text }],
    encrypted_content: decoded.encryptedContent,
  }
}

function assistantTurn(content: unknown, param: string, out: TurnWriter, state: ContentState): void {
  blocksOf(content, param).forEach((block, j) => {
    const at = `${param}.${j}`
    if (block.cache_control !== undefined) state.cacheControl = true
    switch (block.type) {
      case 'text': {
        const text = textOf(block, at)
        if (text !== '') out.part({ type: 'output_text', text })
        return
      }
      case 'tool_use':
        out.item(toolUse(block, at, state))
        return
      case 'thinking': {
        const item = thinking(block, state)
        if (item !== null) out.item(item)
        return
      }
      case 'redacted_thinking':
        count(state, 'redacted_thinking_dropped')
        return
      default:
        if (block.type === 'server_tool_use' || String(block.type).endsWith('_tool_result')) {
          count(state, 'server_tool_history_dropped')
          return
        }
        unsupported(block, at)
    }
  })
}

/**
 * Reads `messages` into input items: user text / images / documents as `input_text` /
 * `input_image` / `input_file`, `tool_result` as `function_call_output`, assistant text as
 * `output_text`, `tool_use` as `function_call` (id kept as `call_id`), relay-signed thinking as
 * `reasoning` items with their encrypted content, mid-conversation `system` messages as
 * `developer` messages. Order is kept.
 */
export function readMessages(messages: unknown[], state: ContentState): ResponsesInputItem[] {
  const input: ResponsesInputItem[] = []
  messages.forEach((message, i) => {
    const param = `messages.${i}`
    if (!isObject(message)) invalid(`${param}: Input should be a valid dictionary.`, param, 'invalid_type')
    if (message.content === undefined || message.content === null) {
      invalid(`${param}.content: Field required.`, `${param}.content`, 'missing_required_parameter')
    }
    const role = message.role
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      invalid(
        `${param}.role: Input should be 'user', 'assistant' or 'system'.`,
        `${param}.role`,
        'invalid_value',
      )
    }
    const out = new TurnWriter(input, role === 'system' ? 'developer' : role)
    if (role === 'user') userTurn(message.content, `${param}.content`, out, state)
    else if (role === 'assistant') assistantTurn(message.content, `${param}.content`, out, state)
    else systemTurn(message.content, `${param}.content`, out, state)
    out.flush()
  })
  return input
}

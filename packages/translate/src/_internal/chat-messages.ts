// Chat Completions `messages` -> Responses `instructions` pieces and `input` items.

import type { FileReference, ResponsesFunctionCallItem, ResponsesInputItem } from '../types'
import {
  assistantCalls,
  assistantParts,
  describe,
  instructionText,
  type PendingRef,
  toolOutput,
  userParts,
} from './chat-content'
import { invalid, isObject } from './util'

/** A Responses `custom_tool_call` input item (an earlier call of a custom tool). */
export interface CustomToolCallItem {
  type: 'custom_tool_call'
  call_id: string
  name: string
  input: string
  [key: string]: unknown
}

/** A function call of the history, with the client's name (shortened later). */
export interface HistoryCall {
  item: ResponsesFunctionCallItem | CustomToolCallItem
  client: string
}

/** What the message walk produces. */
export interface ChatHistory {
  /** Instruction pieces in order (top-level `instructions` first, then system/developer). */
  instructionParts: string[]
  input: ResponsesInputItem[]
  fileRefs: FileReference[]
  /** Function calls of assistant messages; their `item.name` is mapped to the upstream name later. */
  historyCalls: HistoryCall[]
  /** The content of the first non-empty user message (for the derived session id). */
  firstUser: unknown
}

/** Ids for calls that came without one: `call_<n>`, skipping every id the client used. */
function callIdSource(messages: unknown[]): () => string {
  const givenIds = new Set<string>()
  for (const message of messages) {
    if (!isObject(message) || !Array.isArray(message.tool_calls)) continue
    for (const call of message.tool_calls)
      if (isObject(call) && typeof call.id === 'string') givenIds.add(call.id)
  }
  let generated = 0
  return (): string => {
    let id = `call_${generated++}`
    while (givenIds.has(id)) id = `call_${generated++}`
    return id
  }
}

/** Walks the chat messages in order; see {@link ChatHistory}. */
class MessageWalk {
  readonly history: ChatHistory
  /** Call id -> whether it was a custom tool call. */
  readonly #knownCalls = new Map<string, boolean>()
  readonly #nextCallId: () => string
  readonly #customTools: ReadonlySet<string>

  constructor(messages: unknown[], topInstructions: string | null, customTools: ReadonlySet<string>) {
    this.#customTools = customTools
    this.history = {
      instructionParts: topInstructions === null ? [] : [topInstructions],
      input: [],
      fileRefs: [],
      historyCalls: [],
      firstUser: undefined,
    }
    this.#nextCallId = callIdSource(messages)
  }

  message(message: unknown, i: number): void {
    const param = `messages[${i}]`
    if (!isObject(message)) invalid(`\`${param}\` must be an object.`, param, 'invalid_type')
    const role = message.role
    switch (role) {
      case 'system':
      case 'developer':
        this.history.instructionParts.push(instructionText(message.content, `${param}.content`))
        return
      case 'user':
        this.#user(message.content, param)
        return
      case 'assistant':
        this.#assistant(message, param)
        return
      case 'tool':
        this.#tool(message, param)
        return
      case undefined:
      case null:
        invalid(`\`${param}.role\` is required.`, `${param}.role`, 'missing_required_parameter')
        return
      default:
        invalid(`Unsupported message role \`${describe(role)}\`.`, `${param}.role`, 'unsupported_value')
    }
  }

  #user(value: unknown, param: string): void {
    const history = this.history
    const pending: PendingRef[] = []
    const content = userParts(value, `${param}.content`, pending)
    if (content.length === 0) return
    const index = history.input.length
    for (const { contentIndex, ref } of pending) {
      history.fileRefs.push({ ...ref, path: ['input', index, 'content', contentIndex] })
    }
    history.input.push({ type: 'message', role: 'user', content })
    history.firstUser ??= content
  }

  #assistant(message: Record<string, unknown>, param: string): void {
    const history = this.history
    const content = assistantParts(message, param)
    if (content.length > 0) history.input.push({ type: 'message', role: 'assistant', content })
    for (const call of assistantCalls(message, param, this.#nextCallId)) {
      const custom = call.custom || this.#customTools.has(call.name)
      this.#knownCalls.set(call.callId, custom)
      const item: ResponsesFunctionCallItem | CustomToolCallItem = custom
        ? { type: 'custom_tool_call', call_id: call.callId, name: call.name, input: call.arguments }
        : { type: 'function_call', call_id: call.callId, name: call.name, arguments: call.arguments }
      history.historyCalls.push({ item, client: call.name })
      history.input.push(item)
    }
  }

  #tool(message: Record<string, unknown>, param: string): void {
    const callId = message.tool_call_id
    if (typeof callId !== 'string' || callId === '') {
      invalid(
        `\`${param}.tool_call_id\` is required for tool messages.`,
        `${param}.tool_call_id`,
        'missing_required_parameter',
      )
    }
    const custom = this.#knownCalls.get(callId)
    if (custom === undefined) {
      invalid(
        `No tool call found for tool message with tool_call_id \`${callId}\`; ` +
          'the assistant message with that call must come before it.',
        `${param}.tool_call_id`,
        'invalid_value',
      )
    }
    this.history.input.push({
      type: custom ? 'custom_tool_call_output' : 'function_call_output',
      call_id: callId,
      output: toolOutput(message.content, `${param}.content`),
    })
  }
}

/**
 * Reads chat `messages`: system/developer content becomes instruction pieces, user parts
 * `input_text` / `input_image` (file parts kept and listed as file references), assistant text,
 * refusals and tool calls `output_text` / `refusal` / `function_call` items (`custom_tool_call`
 * for calls of a custom tool, named in `customTools` or sent as `type: "custom"`), tool messages
 * `function_call_output` (or `custom_tool_call_output`) items; a tool message whose
 * `tool_call_id` matches no earlier call is refused.
 */
export function readChatMessages(
  messages: unknown[],
  topInstructions: string | null,
  customTools: ReadonlySet<string> = new Set(),
): ChatHistory {
  const walk = new MessageWalk(messages, topInstructions, customTools)
  messages.forEach((message, i) => {
    walk.message(message, i)
  })
  return walk.history
}

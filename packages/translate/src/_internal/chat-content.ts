// Chat Completions message content: the readers of one message's parts and tool calls.

import type { FileReference, JsonObject, ResponsesContentPart } from '../types'
import { isUnset } from './parameters'
import { cloneJson, invalid, isObject } from './util'

export function describe(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

function unsupportedPart(type: unknown, param: string): never {
  return invalid(`Unsupported chat content part \`${describe(type)}\`.`, `${param}.type`, 'unsupported_value')
}

function partsOf(content: unknown, param: string): JsonObject[] {
  if (!Array.isArray(content)) {
    return invalid(
      `\`${param}\` must be a string, an array of content parts, or null.`,
      param,
      'invalid_type',
    )
  }
  return content.map((part, j) => {
    if (!isObject(part)) invalid(`\`${param}[${j}]\` must be an object.`, `${param}[${j}]`, 'invalid_type')
    return part
  })
}

function textOf(part: JsonObject, param: string): string {
  if (typeof part.text !== 'string')
    invalid(`\`${param}.text\` must be a string.`, `${param}.text`, 'invalid_type')
  return part.text
}

/** system/developer content: string, or text parts joined with "\n" (images as "[image]"). */
export function instructionText(content: unknown, param: string): string {
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  return partsOf(content, param)
    .map((part, j) => {
      if (part.type === 'text') return textOf(part, `${param}[${j}]`)
      if (part.type === 'image_url') return '[image]'
      return unsupportedPart(part.type, `${param}[${j}]`)
    })
    .join('\n')
}

/** tool message content: string, or text parts joined with "\n". */
export function toolOutput(content: unknown, param: string): string {
  if (content === undefined || content === null) return ''
  if (typeof content === 'string') return content
  return partsOf(content, param)
    .map((part, j) =>
      part.type === 'text' ? textOf(part, `${param}[${j}]`) : unsupportedPart(part.type, `${param}[${j}]`),
    )
    .join('\n')
}

export interface PendingRef {
  contentIndex: number
  ref: Omit<FileReference, 'path'>
}

export function userParts(content: unknown, param: string, refs: PendingRef[]): ResponsesContentPart[] {
  if (content === undefined || content === null) {
    return invalid(`\`${param}\` is required for user messages.`, param, 'missing_required_parameter')
  }
  if (typeof content === 'string') return [{ type: 'input_text', text: content }]
  const out: ResponsesContentPart[] = []
  partsOf(content, param).forEach((part, j) => {
    const partParam = `${param}[${j}]`
    const keep = (fileId: string | null): void => {
      refs.push({ contentIndex: out.length, ref: { param: partParam, partType: String(part.type), fileId } })
      out.push(cloneJson(part) as ResponsesContentPart)
    }
    if (part.type === 'text') {
      out.push({ type: 'input_text', text: textOf(part, partParam) })
    } else if (part.type === 'image_url') {
      const image = part.image_url
      if (typeof image === 'string' && image !== '') {
        out.push({ type: 'input_image', image_url: image, detail: 'auto' })
      } else if (isObject(image) && typeof image.file_id === 'string' && image.file_id !== '') {
        keep(image.file_id)
      } else if (isObject(image) && typeof image.url === 'string' && image.url !== '') {
        const detail = image.detail ?? 'auto'
        if (typeof detail !== 'string') {
          invalid(
            `\`${partParam}.image_url.detail\` must be a string.`,
            `${partParam}.image_url.detail`,
            'invalid_type',
          )
        }
        out.push({ type: 'input_image', image_url: image.url, detail })
      } else {
        invalid(
          `\`${partParam}.image_url\` must carry a non-empty \`url\` or \`file_id\`.`,
          `${partParam}.image_url`,
          'invalid_value',
        )
      }
    } else if (part.type === 'file') {
      const file = part.file
      const fileId =
        isObject(file) && typeof file.file_id === 'string' && file.file_id !== '' ? file.file_id : null
      if (
        fileId === null &&
        !(isObject(file) && typeof file.file_data === 'string' && file.file_data !== '')
      ) {
        invalid(
          `\`${partParam}.file\` must carry a non-empty \`file_id\` or \`file_data\`.`,
          `${partParam}.file`,
          'invalid_value',
        )
      }
      keep(fileId)
    } else if (typeof part.file_id === 'string' && part.file_id !== '') {
      keep(part.file_id)
    } else if (part.type === 'refusal') {
      invalid('Refusal parts are only valid in assistant messages.', `${partParam}.type`, 'unsupported_value')
    } else {
      unsupportedPart(part.type, partParam)
    }
  })
  return out
}

export function assistantParts(message: JsonObject, param: string): ResponsesContentPart[] {
  const out: ResponsesContentPart[] = []
  const content = message.content
  if (typeof content === 'string') {
    if (content !== '') out.push({ type: 'output_text', text: content })
  } else if (content !== undefined && content !== null) {
    partsOf(content, `${param}.content`).forEach((part, j) => {
      const partParam = `${param}.content[${j}]`
      if (part.type === 'text') {
        const text = textOf(part, partParam)
        if (text !== '') out.push({ type: 'output_text', text })
      } else if (part.type === 'refusal') {
        if (typeof part.refusal !== 'string') {
          invalid(`\`${partParam}.refusal\` must be a string.`, `${partParam}.refusal`, 'invalid_type')
        }
        out.push({ type: 'refusal', refusal: part.refusal })
      } else {
        unsupportedPart(part.type, partParam)
      }
    })
  }
  const refusal = message.refusal
  if (refusal !== undefined && refusal !== null) {
    if (typeof refusal !== 'string') {
      invalid(`\`${param}.refusal\` must be a string or null.`, `${param}.refusal`, 'invalid_type')
    }
    if (refusal !== '') out.push({ type: 'refusal', refusal })
  }
  return out
}

export interface ClientCall {
  callId: string
  name: string
  /** Function arguments (JSON text), or the input of a custom tool call. */
  arguments: string
  /** True for a `{type: "custom", custom: {name, input}}` call. */
  custom: boolean
}

function customCall(call: JsonObject, callParam: string, nextId: () => string): ClientCall {
  const custom = call.custom
  if (!isObject(custom))
    invalid(`\`${callParam}.custom\` must be an object.`, `${callParam}.custom`, 'invalid_type')
  if (typeof custom.name !== 'string' || custom.name === '') {
    invalid(
      `\`${callParam}.custom.name\` must be a non-empty string.`,
      `${callParam}.custom.name`,
      'invalid_type',
    )
  }
  const input = custom.input ?? ''
  if (typeof input !== 'string') {
    invalid(`\`${callParam}.custom.input\` must be a string.`, `${callParam}.custom.input`, 'invalid_type')
  }
  const givenId = call.id
  const callId = typeof givenId === 'string' && givenId !== '' ? givenId : nextId()
  return { callId, name: custom.name, arguments: input, custom: true }
}

export function assistantCalls(message: JsonObject, param: string, nextId: () => string): ClientCall[] {
  if (!isUnset(message.function_call)) {
    invalid(
      'Legacy assistant `function_call` history is not supported; send `tool_calls` instead.',
      `${param}.function_call`,
      'unsupported_parameter',
    )
  }
  const calls = message.tool_calls
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls))
    invalid(`\`${param}.tool_calls\` must be an array.`, `${param}.tool_calls`, 'invalid_type')
  return calls.map((call, k) => {
    const callParam = `${param}.tool_calls[${k}]`
    if (!isObject(call)) invalid(`\`${callParam}\` must be an object.`, callParam, 'invalid_type')
    if (call.type === 'custom') return customCall(call, callParam, nextId)
    if (call.type !== undefined && call.type !== 'function') {
      invalid(
        `Unsupported tool call type \`${describe(call.type)}\`. Only \`function\` and \`custom\` calls are supported.`,
        `${callParam}.type`,
        'unsupported_value',
      )
    }
    const fn = call.function
    if (!isObject(fn))
      invalid(`\`${callParam}.function\` must be an object.`, `${callParam}.function`, 'invalid_type')
    if (typeof fn.name !== 'string' || fn.name === '') {
      invalid(
        `\`${callParam}.function.name\` must be a non-empty string.`,
        `${callParam}.function.name`,
        'invalid_type',
      )
    }
    let args = fn.arguments
    if (args === undefined || args === null || args === '') args = '{}'
    else if (isObject(args)) args = JSON.stringify(args)
    else if (typeof args !== 'string') {
      invalid(
        `\`${callParam}.function.arguments\` must be a JSON string.`,
        `${callParam}.function.arguments`,
        'invalid_type',
      )
    }
    const givenId = call.id
    let callId: string
    if (givenId === undefined || givenId === null || givenId === '') callId = nextId()
    else if (typeof givenId === 'string') callId = givenId
    else callId = invalid(`\`${callParam}.id\` must be a string.`, `${callParam}.id`, 'invalid_type')
    return { callId, name: fn.name, arguments: args as string, custom: false }
  })
}

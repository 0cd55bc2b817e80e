import { FileInlinerError } from '../../errors'
import { quoteForMessage } from '../text'

// The content parts expansion produces, and the 422 errors it raises.

/** Text files larger than this many bytes are refused rather than truncated. */
export const MAX_INLINE_TEXT_BYTES = 1_000_000

export type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

type UnprocessableCode =
  | 'file_unknown'
  | 'file_not_image'
  | 'file_too_large_to_inline'
  | 'file_type_unsupported'
  | 'file_not_utf8'
  | 'file_data_invalid'

export function unprocessable(code: UnprocessableCode, message: string, param: string): FileInlinerError {
  return new FileInlinerError({ code, status: 422, message, param })
}

export const unknownFile = (id: unknown, param: string): FileInlinerError =>
  unprocessable(
    'file_unknown',
    `Unknown local file id \`${quoteForMessage(id)}\`. Upload it first with \`POST /v1/files\`.`,
    param,
  )

export const notImage = (name: string, param: string): FileInlinerError =>
  unprocessable('file_not_image', `File \`${name}\` is not an image.`, param)

export const tooLargeForText = (name: string, param: string): FileInlinerError =>
  unprocessable(
    'file_too_large_to_inline',
    `File \`${name}\` is too large to inline as text without truncation.`,
    param,
  )

export const unsupported = (name: string, contentType: string, param: string): FileInlinerError =>
  unprocessable(
    'file_type_unsupported',
    `File \`${name}\` with content type \`${contentType}\` is not supported by the subscription backend.`,
    param,
  )

/** The `input_text` part for a text file: its name and type, a blank line, then the text. */
export function textPart(name: string, contentType: string, bytes: Uint8Array, param: string): Json {
  if (bytes.length > MAX_INLINE_TEXT_BYTES) throw tooLargeForText(name, param)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw unprocessable(
      'file_not_utf8',
      `File \`${name}\` is not valid UTF-8 text, so it cannot be inlined.`,
      param,
    )
  }
  return { type: 'input_text', text: `Uploaded file \`${name}\` (${contentType}):\n\n${text}` }
}

/** The `input_image` part for an image: a base64 data URL, `detail` kept (default `auto`). */
export function imagePart(contentType: string, bytes: Uint8Array, detail: unknown): Json {
  return {
    type: 'input_image',
    image_url: `data:${contentType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`,
    detail: typeof detail === 'string' ? detail : 'auto',
  }
}

/** The `detail` a part asks for, at the top level or inside `image_url`. */
export function detailOf(part: Json): unknown {
  if (part.detail !== undefined) return part.detail
  return isObject(part.image_url) ? part.image_url.detail : undefined
}

import { DEFAULT_FILENAME, normaliseMediaType, quoteForMessage, sanitizeLabel } from './_internal/text'
import { detectKind, isTextLikeType, isVerifiableImageType, sniffImageType, typeForFilename } from './detect'
import { FileInlinerError, isFileInlinerError } from './errors'
import type { FileObject, FileStore } from './store'

/** The part of a {@link FileStore} that expansion needs (any object with these two methods works). */
export type FileContentReader = Pick<FileStore, 'get' | 'openContent'>

/** Options of {@link expandFileReferences}. */
export interface ExpandOptions {
  /**
   * The API the array comes from. It names the root of `param` in errors: `input[2].content[0]`
   * for `responses`, `messages[2].content[0]` for `chat`. Indices are positions in the array
   * passed in. @default 'responses'
   */
  route?: 'responses' | 'chat'
}

/** Text files larger than this many bytes are refused rather than truncated. */
const MAX_INLINE_TEXT_BYTES = 1_000_000

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

type UnprocessableCode =
  | 'file_unknown'
  | 'file_not_image'
  | 'file_too_large_to_inline'
  | 'file_type_unsupported'
  | 'file_not_utf8'
  | 'file_data_invalid'

function unprocessable(code: UnprocessableCode, message: string, param: string): FileInlinerError {
  return new FileInlinerError({ code, status: 422, message, param })
}

const unknownFile = (id: unknown, param: string): FileInlinerError =>
  unprocessable(
    'file_unknown',
    `Unknown local file id \`${quoteForMessage(id)}\`. Upload it first with \`POST /v1/files\`.`,
    param,
  )

const notImage = (name: string, param: string): FileInlinerError =>
  unprocessable('file_not_image', `File \`${name}\` is not an image.`, param)

const tooLargeForText = (name: string, param: string): FileInlinerError =>
  unprocessable(
    'file_too_large_to_inline',
    `File \`${name}\` is too large to inline as text without truncation.`,
    param,
  )

const unsupported = (name: string, contentType: string, param: string): FileInlinerError =>
  unprocessable(
    'file_type_unsupported',
    `File \`${name}\` with content type \`${contentType}\` is not supported by the subscription backend.`,
    param,
  )

function textPart(name: string, contentType: string, bytes: Uint8Array, param: string): Json {
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

function imagePart(contentType: string, bytes: Uint8Array, detail: unknown): Json {
  return {
    type: 'input_image',
    image_url: `data:${contentType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`,
    detail: typeof detail === 'string' ? detail : 'auto',
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function decodeBase64(value: string): Buffer | null {
  const compact = value.replace(/\s+/g, '')
  if (!BASE64.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return null
  return Buffer.from(compact, 'base64')
}

interface Reference {
  id: unknown
  /** Where the id sits, relative to the part. */
  field: string
}

/** The file id a part references, in any of the shapes clients send. */
function referenceOf(part: Json): Reference | null {
  if (part.file_id !== undefined && part.file_id !== null) return { id: part.file_id, field: 'file_id' }
  const nested = part.type === 'image_url' ? part.image_url : part.type === 'file' ? part.file : undefined
  if (isObject(nested) && nested.file_id !== undefined && nested.file_id !== null) {
    return { id: nested.file_id, field: `${String(part.type)}.file_id` }
  }
  return null
}

function detailOf(part: Json): unknown {
  if (part.detail !== undefined) return part.detail
  return isObject(part.image_url) ? part.image_url.detail : undefined
}

/**
 * Replaces the file references in a Responses `input` array (or a chat `messages` array, or a bare
 * content-part array) with parts the subscription backend accepts:
 *
 * - `input_file` / `file` / `input_image` / `image_url` parts with a `file_id` (top level, or in
 *   `image_url` / `file` objects) and any other part carrying a `file_id`;
 * - `input_file` (and chat `file`) parts with inline `file_data` (raw base64 plus a `filename`, or a
 *   data URL);
 * - in `message`-like items (`content` arrays) and `function_call_output` items (`output` arrays).
 *
 * Text files (at most 1,000,000 bytes, UTF-8) become `input_text` reading
 * "Uploaded file `name` (type):" + blank line + the text; PNG/JPEG/GIF/WebP images become
 * `input_image` data URLs (`detail` kept, default `auto`); anything else is a 422
 * {@link FileInlinerError}. Everything else is returned unchanged; the input is not mutated.
 *
 * @throws FileInlinerError (422) `file_unknown`, `file_not_image`, `file_too_large_to_inline`,
 *   `file_type_unsupported`, `file_not_utf8`, `file_data_invalid`, with `param` naming the part.
 */
export function expandFileReferences(
  input: string,
  store: FileContentReader,
  options?: ExpandOptions,
): Promise<string>
export function expandFileReferences(
  input: readonly unknown[],
  store: FileContentReader,
  options?: ExpandOptions,
): Promise<unknown[]>
export async function expandFileReferences(
  input: string | readonly unknown[],
  store: FileContentReader,
  options: ExpandOptions = {},
): Promise<string | unknown[]> {
  if (!Array.isArray(input)) return input as string
  const root = options.route === 'chat' ? 'messages' : 'input'
  const metadata = new Map<string, Promise<FileObject | null>>()
  const contents = new Map<string, Promise<Buffer>>()

  const lookup = (id: string): Promise<FileObject | null> => {
    let pending = metadata.get(id)
    if (pending === undefined) {
      pending = store.get(id).catch((error: unknown) => {
        if (isFileInlinerError(error) && error.code === 'file_not_found') return null
        throw error
      })
      metadata.set(id, pending)
    }
    return pending
  }

  const read = (id: string, param: string): Promise<Buffer> => {
    let pending = contents.get(id)
    if (pending === undefined) {
      pending = (async () => {
        const { stream } = await store.openContent(id)
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks)
      })()
      contents.set(id, pending)
    }
    return pending.catch((error: unknown) => {
      // Deleted between the lookup and the read.
      if (isFileInlinerError(error) && error.code === 'file_not_found') throw unknownFile(id, param)
      if (isFileInlinerError(error)) throw error
      throw new FileInlinerError({
        code: 'storage_error',
        status: 500,
        message: 'AIRelays could not read a stored upload.',
        cause: error,
      })
    })
  }

  async function expandReference(part: Json, reference: Reference, path: string): Promise<Json> {
    const file = typeof reference.id === 'string' ? await lookup(reference.id) : null
    const idParam = `${path}.${reference.field}`
    if (file === null) throw unknownFile(reference.id, idParam)
    const name = file.filename
    const wantsImage = part.type === 'input_image' || part.type === 'image_url'
    const storedImage = isVerifiableImageType(file.content_type)
    if (wantsImage && !storedImage) throw notImage(name, path)
    if (storedImage) {
      const bytes = await read(file.id, idParam)
      const sniffed = sniffImageType(bytes)
      if (sniffed === null) {
        throw wantsImage ? notImage(name, path) : unsupported(name, file.content_type, path)
      }
      return imagePart(sniffed, bytes, detailOf(part))
    }
    if (isTextLikeType(file.content_type)) {
      if (file.bytes > MAX_INLINE_TEXT_BYTES) throw tooLargeForText(name, path)
      return textPart(name, file.content_type, await read(file.id, idParam), path)
    }
    throw unsupported(name, file.content_type, path)
  }

  function expandInline(part: Json, holder: Json, path: string): Json {
    const label = part.type === 'file' ? 'file' : 'input_file'
    const fieldPath = part.type === 'file' ? `${path}.file` : path
    const rawName = holder.filename
    if (rawName !== undefined && rawName !== null && typeof rawName !== 'string') {
      throw unprocessable(
        'file_data_invalid',
        `\`${label}.filename\` must be a string.`,
        `${fieldPath}.filename`,
      )
    }
    const data = holder.file_data
    const dataParam = `${fieldPath}.file_data`
    if (typeof data !== 'string') {
      throw unprocessable(
        'file_data_invalid',
        `\`${label}.file_data\` must be a base64 string or a data URL.`,
        dataParam,
      )
    }
    const invalidBase64 = (): FileInlinerError =>
      unprocessable('file_data_invalid', `\`${label}.file_data\` is not valid base64.`, dataParam)
    let declared: string | null
    let bytes: Buffer | null
    if (/^data:/i.test(data)) {
      const comma = data.indexOf(',')
      if (comma < 0) {
        throw unprocessable('file_data_invalid', `\`${label}.file_data\` is not a valid data URL.`, dataParam)
      }
      const params = data.slice(5, comma).split(';')
      const mediaType = params[0]!.trim()
      const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === 'base64')
      const body = data.slice(comma + 1)
      if (isBase64) {
        bytes = decodeBase64(body)
        if (bytes === null) throw invalidBase64()
      } else {
        try {
          bytes = Buffer.from(decodeURIComponent(body), 'utf8')
        } catch {
          throw unprocessable(
            'file_data_invalid',
            `\`${label}.file_data\` is not a valid data URL.`,
            dataParam,
          )
        }
      }
      declared =
        normaliseMediaType(mediaType) ?? typeForFilename(rawName) ?? (mediaType === '' ? 'text/plain' : null)
    } else {
      declared = typeForFilename(rawName)
      if (declared === null) {
        throw unprocessable(
          'file_data_invalid',
          `Raw \`${label}.file_data\` requires a recognizable filename extension so AIRelays can translate it for the subscription backend.`,
          `${fieldPath}.filename`,
        )
      }
      bytes = decodeBase64(data)
      if (bytes === null) throw invalidBase64()
    }
    const name = sanitizeLabel(rawName, DEFAULT_FILENAME)
    const detected = detectKind(bytes, declared, name)
    if (detected.kind === 'image') return imagePart(detected.contentType, bytes, detailOf(part))
    if (detected.kind === 'text') return textPart(name, detected.contentType, bytes, path)
    throw unsupported(name, detected.contentType, path)
  }

  async function expandPart(part: unknown, path: string): Promise<unknown> {
    if (!isObject(part)) return part
    const reference = referenceOf(part)
    if (reference !== null) return expandReference(part, reference, path)
    if (part.type === 'input_file' && part.file_data !== undefined && part.file_data !== null) {
      return expandInline(part, part, path)
    }
    if (
      part.type === 'file' &&
      isObject(part.file) &&
      part.file.file_data !== undefined &&
      part.file.file_data !== null
    ) {
      return expandInline(part, part.file, path)
    }
    return part
  }

  async function expandParts(parts: readonly unknown[], path: string): Promise<unknown[] | null> {
    let changed = false
    const out: unknown[] = []
    for (let i = 0; i < parts.length; i++) {
      const next = await expandPart(parts[i], `${path}[${i}]`)
      if (next !== parts[i]) changed = true
      out.push(next)
    }
    return changed ? out : null
  }

  async function expandElement(element: unknown, path: string): Promise<unknown> {
    if (!isObject(element)) return element
    if (element.type === 'function_call_output' && Array.isArray(element.output)) {
      const output = await expandParts(element.output, `${path}.output`)
      return output === null ? element : { ...element, output }
    }
    if (Array.isArray(element.content)) {
      const content = await expandParts(element.content, `${path}.content`)
      return content === null ? element : { ...element, content }
    }
    return expandPart(element, path)
  }

  const out: unknown[] = []
  for (let i = 0; i < input.length; i++) out.push(await expandElement(input[i], `${root}[${i}]`))
  return out
}

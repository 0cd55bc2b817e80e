import { expandInline } from './_internal/expand/inline'
import { isObject } from './_internal/expand/parts'
import { createStoredFiles, expandReference, referenceOf, type StoredFiles } from './_internal/expand/stored'
import type { FileStore } from './types'

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
  const files = createStoredFiles(store)
  const out: unknown[] = []
  for (let i = 0; i < input.length; i++) out.push(await expandElement(files, input[i], `${root}[${i}]`))
  return out
}

/** An item of the array: a message-like item (`content`), a tool output (`output`) or a part. */
async function expandElement(files: StoredFiles, element: unknown, path: string): Promise<unknown> {
  if (!isObject(element)) return element
  if (element.type === 'function_call_output' && Array.isArray(element.output)) {
    const output = await expandParts(files, element.output, `${path}.output`)
    return output === null ? element : { ...element, output }
  }
  if (Array.isArray(element.content)) {
    const content = await expandParts(files, element.content, `${path}.content`)
    return content === null ? element : { ...element, content }
  }
  return expandPart(files, element, path)
}

/** The expanded parts, or null when none changed (so the caller keeps the original array). */
async function expandParts(
  files: StoredFiles,
  parts: readonly unknown[],
  path: string,
): Promise<unknown[] | null> {
  let changed = false
  const out: unknown[] = []
  for (let i = 0; i < parts.length; i++) {
    const next = await expandPart(files, parts[i], `${path}[${i}]`)
    if (next !== parts[i]) changed = true
    out.push(next)
  }
  return changed ? out : null
}

async function expandPart(files: StoredFiles, part: unknown, path: string): Promise<unknown> {
  if (!isObject(part)) return part
  const reference = referenceOf(part)
  if (reference !== null) return expandReference(files, part, reference, path)
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

import { FileInlinerError, isFileInlinerError } from '../../errors'
import type { FileObject, FileStore } from '../../types'
import { isTextLikeType, isVerifiableImageType, sniffImageType } from '../media-types'
import {
  detailOf,
  imagePart,
  type Json,
  isObject,
  MAX_INLINE_TEXT_BYTES,
  notImage,
  textPart,
  tooLargeForText,
  unknownFile,
  unsupported,
} from './parts'

// Expansion of references to stored files (`file_id`).

/** A file id a part references. */
export interface Reference {
  id: unknown
  /** Where the id sits, relative to the part. */
  field: string
}

/** The file id a part references, in any of the shapes clients send. */
export function referenceOf(part: Json): Reference | null {
  if (part.file_id !== undefined && part.file_id !== null) return { id: part.file_id, field: 'file_id' }
  const nested = part.type === 'image_url' ? part.image_url : part.type === 'file' ? part.file : undefined
  if (isObject(nested) && nested.file_id !== undefined && nested.file_id !== null) {
    return { id: nested.file_id, field: `${String(part.type)}.file_id` }
  }
  return null
}

/**
 * The stored files one expansion reads, each looked up and read at most once however often the
 * request references it.
 */
export interface StoredFiles {
  /** The file's metadata, or null when the id is unknown. */
  lookup(id: string): Promise<FileObject | null>
  /** The file's bytes; `param` names the reference in errors. */
  read(id: string, param: string): Promise<Buffer>
}

export function createStoredFiles(store: Pick<FileStore, 'get' | 'openContent'>): StoredFiles {
  const metadata = new Map<string, Promise<FileObject | null>>()
  const contents = new Map<string, Promise<Buffer>>()
  return {
    lookup(id) {
      let pending = metadata.get(id)
      if (pending === undefined) {
        pending = store.get(id).catch((error: unknown) => {
          if (isFileInlinerError(error) && error.code === 'file_not_found') return null
          throw error
        })
        metadata.set(id, pending)
      }
      return pending
    },
    read(id, param) {
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
    },
  }
}

/** Replaces a part referencing a stored file with an `input_image` or `input_text` part. */
export async function expandReference(
  files: StoredFiles,
  part: Json,
  reference: Reference,
  path: string,
): Promise<Json> {
  const file = typeof reference.id === 'string' ? await files.lookup(reference.id) : null
  const idParam = `${path}.${reference.field}`
  if (file === null) throw unknownFile(reference.id, idParam)
  const name = file.filename
  const wantsImage = part.type === 'input_image' || part.type === 'image_url'
  const storedImage = isVerifiableImageType(file.content_type)
  if (wantsImage && !storedImage) throw notImage(name, path)
  if (storedImage) {
    const bytes = await files.read(file.id, idParam)
    const sniffed = sniffImageType(bytes)
    if (sniffed === null) {
      throw wantsImage ? notImage(name, path) : unsupported(name, file.content_type, path)
    }
    return imagePart(sniffed, bytes, detailOf(part))
  }
  if (isTextLikeType(file.content_type)) {
    if (file.bytes > MAX_INLINE_TEXT_BYTES) throw tooLargeForText(name, path)
    return textPart(name, file.content_type, await files.read(file.id, idParam), path)
  }
  throw unsupported(name, file.content_type, path)
}

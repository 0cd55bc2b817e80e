import { FileInlinerError } from '../../errors'
import { quoteForMessage } from '../text'

export function optionError(message: string): FileInlinerError {
  return new FileInlinerError({ code: 'invalid_option', status: 500, message })
}

export function notFound(id: unknown): FileInlinerError {
  return new FileInlinerError({
    code: 'file_not_found',
    status: 404,
    message: `Unknown file id \`${quoteForMessage(id)}\`.`,
  })
}

export function abortedError(cause?: unknown): FileInlinerError {
  return new FileInlinerError({
    code: 'upload_aborted',
    status: 499,
    message: 'The upload was aborted before it completed.',
    cause,
  })
}

export function storageError(cause: unknown): FileInlinerError {
  const code = (cause as { code?: unknown } | null)?.code
  const detail = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? ` (${code})` : ''
  return new FileInlinerError({
    code: 'storage_error',
    status: 500,
    message: `AIRelays could not access its upload store${detail}.`,
    cause,
  })
}

export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

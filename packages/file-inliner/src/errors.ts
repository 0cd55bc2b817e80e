const kBrand: unique symbol = Symbol.for('@airelays/file-inliner.error')

/**
 * Stable error codes of @airelays/file-inliner. Match on these, never on message text.
 *
 * | code | status | when |
 * |---|---|---|
 * | `upload_too_large` | 413 | one upload crossed `maxUploadBytes` |
 * | `upload_quota_exceeded` | 413 | stored + in-flight bytes would cross `maxTotalUploadBytes` |
 * | `upload_aborted` | 499 | the caller's `signal` aborted the upload (client closed the request) |
 * | `upload_source_error` | 400 | the upload source threw or emitted an error before it ended |
 * | `expansion_too_large` | 413 | the files one request references add up to more than `maxExpandedBytes` |
 * | `file_not_found` | 404 | unknown or malformed file id in a store operation |
 * | `file_unknown` | 422 | a request references a file id the store does not know |
 * | `file_not_image` | 422 | an image part references a file that is not a PNG/JPEG/GIF/WebP image |
 * | `file_too_large_to_inline` | 422 | a text file is over 1,000,000 bytes |
 * | `file_type_unsupported` | 422 | a file that is neither text nor a supported image |
 * | `file_not_utf8` | 422 | a text file whose bytes are not valid UTF-8 |
 * | `file_data_invalid` | 422 | inline `file_data` / `filename` that cannot be decoded |
 * | `invalid_option` | 500 | a programming error: bad options passed to this package |
 * | `storage_error` | 500 | the filesystem refused an operation (disk full, permissions, …) |
 */
export type FileInlinerErrorCode =
  | 'upload_too_large'
  | 'upload_quota_exceeded'
  | 'upload_aborted'
  | 'upload_source_error'
  | 'expansion_too_large'
  | 'file_not_found'
  | 'file_unknown'
  | 'file_not_image'
  | 'file_too_large_to_inline'
  | 'file_type_unsupported'
  | 'file_not_utf8'
  | 'file_data_invalid'
  | 'invalid_option'
  | 'storage_error'

/** Constructor input of {@link FileInlinerError}. */
export interface FileInlinerErrorInit {
  /** Stable machine-readable code. */
  code: FileInlinerErrorCode
  /** HTTP status the relay answers with. */
  status: number
  /** Human-readable message, safe to send to the client. */
  message: string
  /** The request field the error is about (for the `param` of the error envelope). @default null */
  param?: string | null
  /** The underlying error, for logs only (never sent to clients). */
  cause?: unknown
}

/**
 * The one error class of @airelays/file-inliner. Every failure the package reports to a caller is a
 * `FileInlinerError` with a stable `code`, the HTTP `status` to answer with, a client-safe `message`
 * and an optional `param`. Recognise it with {@link isFileInlinerError} (works across package copies).
 */
export class FileInlinerError extends Error {
  override readonly name: 'FileInlinerError' = 'FileInlinerError'
  /** Stable machine-readable code. */
  readonly code: FileInlinerErrorCode
  /** HTTP status the relay should answer with (413, 422, 404, 400, 499 or 500). */
  readonly status: number
  /** The request field the error is about, or null. */
  readonly param: string | null

  constructor(init: FileInlinerErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.code = init.code
    this.status = init.status
    this.param = init.param ?? null
    // The brand lets isFileInlinerError recognise errors from another copy of this package.
    Object.defineProperty(this, kBrand, { value: true })
  }
}

/** True when `value` is a {@link FileInlinerError}, also one thrown by another copy of this package. */
export function isFileInlinerError(value: unknown): value is FileInlinerError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [kBrand]?: unknown })[kBrand] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

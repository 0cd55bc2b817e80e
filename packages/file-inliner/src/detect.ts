import {
  isPdf,
  isTextLikeType,
  isUninformativeType,
  isVerifiableImageType,
  looksLikeUtf8Text,
  sniffImageType,
  textTypeForFilename,
} from './_internal/media-types'
import { DEFAULT_CONTENT_TYPE, normaliseMediaType } from './_internal/text'

/** How a file can be used in a request: inlined as text, sent as an image, or not at all. */
export type FileKind = 'text' | 'image' | 'other'

/** Result of {@link detectKind}. */
export interface DetectedKind {
  /** `text` is inlined as `input_text`, `image` becomes `input_image`, `other` is refused. */
  kind: FileKind
  /** The effective content type (lower-case `type/subtype`, no parameters) to store and serve. */
  contentType: string
}

/**
 * Decides how a file can be used from its first bytes, its declared content type and its filename.
 *
 * 1. PNG, JPEG, GIF and WebP magic bytes make it an image of the sniffed type, whatever was declared;
 *    a declared PNG/JPEG/GIF/WebP type without matching magic bytes is ignored (treated as missing).
 * 2. A declared text-like type (`text/*`, `application/json`, `application/xml`, `application/yaml`,
 *    `application/x-yaml`, `application/csv`, `application/javascript`, `…+json`, `…+xml`, a few
 *    code types) makes it text.
 * 3. Any other valid declared type is kept, and the file is `other`.
 * 4. With no useful declared type (missing, invalid or `application/octet-stream`), a known text or
 *    code extension (`.txt .md .csv .json .yaml .yml .xml .html .css .js .ts .py .go .rs .java .c .h
 *    .cpp .sh .toml .ini .sql .log …`) plus bytes that are valid UTF-8 without NUL make it text with
 *    the extension's type; `%PDF-` makes it `application/pdf`; otherwise it is
 *    `application/octet-stream`, kind `other`.
 *
 * @param bytesHead the first bytes of the file (8 KiB is plenty; more is fine).
 * @param declaredType the client's content type, e.g. `text/plain; charset=utf-8`.
 * @param filename the client's filename; only its extension is looked at.
 */
export function detectKind(
  bytesHead: Uint8Array,
  declaredType?: string | null,
  filename?: string | null,
): DetectedKind {
  const image = sniffImageType(bytesHead)
  if (image !== null) return { kind: 'image', contentType: image }
  let declared = normaliseMediaType(declaredType)
  // A PNG/JPEG/GIF/WebP claim that the bytes contradict is not trusted; the bytes decide instead.
  if (isVerifiableImageType(declared)) declared = null
  if (declared !== null && !isUninformativeType(declared)) {
    return { kind: isTextLikeType(declared) ? 'text' : 'other', contentType: declared }
  }
  const fromName = textTypeForFilename(filename)
  if (fromName !== null && looksLikeUtf8Text(bytesHead)) {
    return { kind: isTextLikeType(fromName) ? 'text' : 'other', contentType: fromName }
  }
  if (isPdf(bytesHead)) return { kind: 'other', contentType: 'application/pdf' }
  return { kind: 'other', contentType: DEFAULT_CONTENT_TYPE }
}

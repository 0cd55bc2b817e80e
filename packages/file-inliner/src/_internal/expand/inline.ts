import type { FileInlinerError } from '../../errors'
import { detectKind } from '../../detect'
import { typeForFilename } from '../media-types'
import { DEFAULT_FILENAME, normaliseMediaType, sanitizeLabel } from '../text'
import { detailOf, imagePart, type Json, textPart, unprocessable, unsupported } from './parts'

// Expansion of inline `file_data` (raw base64 with a filename, or a data URL).

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function decodeBase64(value: string): Buffer | null {
  const compact = value.replace(/\s+/g, '')
  if (!BASE64.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return null
  return Buffer.from(compact, 'base64')
}

/** Where the inline data sits, for error messages and `param`. */
interface InlineSite {
  /** `file` for a chat `file` part, else `input_file`. */
  label: string
  /** The path of the object holding `filename` and `file_data`. */
  fieldPath: string
}

/** The bytes of `file_data` and the type it declares (null when it declares none). */
interface InlineData {
  bytes: Buffer
  declared: string | null
}

/**
 * Replaces an `input_file` (or chat `file`) part carrying inline `file_data` in `holder` (the part
 * itself, or its `file` object) with an `input_text` or `input_image` part.
 */
export function expandInline(part: Json, holder: Json, path: string): Json {
  const site: InlineSite = {
    label: part.type === 'file' ? 'file' : 'input_file',
    fieldPath: part.type === 'file' ? `${path}.file` : path,
  }
  const rawName = holder.filename
  if (rawName !== undefined && rawName !== null && typeof rawName !== 'string') {
    throw unprocessable(
      'file_data_invalid',
      `\`${site.label}.filename\` must be a string.`,
      `${site.fieldPath}.filename`,
    )
  }
  const data = holder.file_data
  if (typeof data !== 'string') {
    throw unprocessable(
      'file_data_invalid',
      `\`${site.label}.file_data\` must be a base64 string or a data URL.`,
      `${site.fieldPath}.file_data`,
    )
  }
  const { bytes, declared } = /^data:/i.test(data)
    ? decodeDataUrl(data, rawName, site)
    : decodeRawBase64(data, rawName, site)
  const name = sanitizeLabel(rawName, DEFAULT_FILENAME)
  const detected = detectKind(bytes, declared, name)
  if (detected.kind === 'image') return imagePart(detected.contentType, bytes, detailOf(part))
  if (detected.kind === 'text') return textPart(name, detected.contentType, bytes, path)
  throw unsupported(name, detected.contentType, path)
}

function invalidBase64(site: InlineSite): FileInlinerError {
  return unprocessable(
    'file_data_invalid',
    `\`${site.label}.file_data\` is not valid base64.`,
    `${site.fieldPath}.file_data`,
  )
}

function invalidDataUrl(site: InlineSite): FileInlinerError {
  return unprocessable(
    'file_data_invalid',
    `\`${site.label}.file_data\` is not a valid data URL.`,
    `${site.fieldPath}.file_data`,
  )
}

function decodeDataUrl(data: string, rawName: unknown, site: InlineSite): InlineData {
  const comma = data.indexOf(',')
  if (comma < 0) throw invalidDataUrl(site)
  const params = data.slice(5, comma).split(';')
  const mediaType = params[0]!.trim()
  const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === 'base64')
  const body = data.slice(comma + 1)
  let bytes: Buffer | null
  if (isBase64) {
    bytes = decodeBase64(body)
    if (bytes === null) throw invalidBase64(site)
  } else {
    try {
      bytes = Buffer.from(decodeURIComponent(body), 'utf8')
    } catch {
      throw invalidDataUrl(site)
    }
  }
  const declared =
    normaliseMediaType(mediaType) ?? typeForFilename(rawName) ?? (mediaType === '' ? 'text/plain' : null)
  return { bytes, declared }
}

function decodeRawBase64(data: string, rawName: unknown, site: InlineSite): InlineData {
  const declared = typeForFilename(rawName)
  if (declared === null) {
    throw unprocessable(
      'file_data_invalid',
      `Raw \`${site.label}.file_data\` requires a recognizable filename extension so AIRelays can translate it for the subscription backend.`,
      `${site.fieldPath}.filename`,
    )
  }
  const bytes = decodeBase64(data)
  if (bytes === null) throw invalidBase64(site)
  return { bytes, declared }
}

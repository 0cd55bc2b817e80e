import { DEFAULT_CONTENT_TYPE } from './text'

// Media-type knowledge behind detectKind: type tables, filename extensions and magic bytes.

/** Image formats the subscription backend accepts, recognised by their magic bytes. */
export type SniffedImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp'

const TEXT_LIKE_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/csv',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/typescript',
  'application/x-typescript',
  'application/toml',
  'application/x-toml',
  'application/sql',
  'application/x-sh',
  'application/x-shellscript',
  'application/x-ndjson',
  'application/graphql',
])

/** Declared types that say nothing about the content; treated like a missing type. */
const UNINFORMATIVE_TYPES: ReadonlySet<string> = new Set([
  DEFAULT_CONTENT_TYPE,
  'binary/octet-stream',
  'application/unknown',
  'application/x-unknown',
])

const VERIFIABLE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
])

/** Text and source-code extensions (lower-case, without the dot) and the type they get. */
const TEXT_EXTENSIONS: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  ini: 'text/plain',
  cfg: 'text/plain',
  conf: 'text/plain',
  env: 'text/plain',
  properties: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  rst: 'text/x-rst',
  tex: 'text/x-tex',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  scss: 'text/x-scss',
  less: 'text/x-less',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  jsx: 'text/javascript',
  ts: 'text/x-typescript',
  mts: 'text/x-typescript',
  cts: 'text/x-typescript',
  tsx: 'text/x-typescript',
  vue: 'text/plain',
  svelte: 'text/plain',
  py: 'text/x-python',
  pyi: 'text/x-python',
  rb: 'text/x-ruby',
  php: 'text/x-php',
  pl: 'text/x-perl',
  lua: 'text/x-lua',
  r: 'text/x-r',
  go: 'text/x-go',
  rs: 'text/x-rust',
  java: 'text/x-java',
  kt: 'text/x-kotlin',
  kts: 'text/x-kotlin',
  scala: 'text/x-scala',
  swift: 'text/x-swift',
  dart: 'text/x-dart',
  c: 'text/x-c',
  h: 'text/x-c',
  cc: 'text/x-c++',
  cpp: 'text/x-c++',
  cxx: 'text/x-c++',
  hpp: 'text/x-c++',
  hh: 'text/x-c++',
  cs: 'text/x-csharp',
  m: 'text/x-objectivec',
  mm: 'text/x-objectivec',
  ex: 'text/x-elixir',
  exs: 'text/x-elixir',
  erl: 'text/x-erlang',
  hs: 'text/x-haskell',
  clj: 'text/x-clojure',
  zig: 'text/x-zig',
  sh: 'application/x-sh',
  bash: 'application/x-sh',
  zsh: 'application/x-sh',
  fish: 'application/x-sh',
  ps1: 'text/plain',
  bat: 'text/plain',
  sql: 'application/sql',
  graphql: 'application/graphql',
  gql: 'application/graphql',
  proto: 'text/plain',
  diff: 'text/x-diff',
  patch: 'text/x-diff',
}

/** Extension-less names that are conventionally text. */
const TEXT_BASENAMES: ReadonlySet<string> = new Set([
  'makefile',
  'dockerfile',
  'containerfile',
  'gemfile',
  'rakefile',
  'procfile',
  'license',
  'readme',
  'changelog',
  '.gitignore',
  '.gitattributes',
  '.dockerignore',
  '.editorconfig',
])

/** Binary extensions with a well-known type (used to label raw base64 `file_data`). */
const BINARY_EXTENSIONS: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  ico: 'image/vnd.microsoft.icon',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  rtf: 'application/rtf',
  epub: 'application/epub+zip',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
}

/** True for declared types that say nothing about the content (`application/octet-stream`, …). */
export function isUninformativeType(contentType: string | null): boolean {
  return contentType === null || UNINFORMATIVE_TYPES.has(contentType)
}

/** True for PNG/JPEG/GIF/WebP: types whose claim the magic bytes can confirm or refute. */
export function isVerifiableImageType(contentType: string | null): boolean {
  return contentType !== null && VERIFIABLE_IMAGE_TYPES.has(contentType)
}

/** True for the text-like types the relay inlines as `input_text`. */
export function isTextLikeType(contentType: string): boolean {
  return (
    contentType.startsWith('text/') ||
    TEXT_LIKE_TYPES.has(contentType) ||
    contentType.endsWith('+json') ||
    contentType.endsWith('+xml') ||
    contentType.endsWith('+yaml')
  )
}

function baseName(filename: string): string {
  const slash = Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\'))
  return filename.slice(slash + 1).toLowerCase()
}

/** The text type a filename's extension (or well-known name) maps to, or null. */
export function textTypeForFilename(filename: unknown): string | null {
  if (typeof filename !== 'string') return null
  const name = baseName(filename)
  if (TEXT_BASENAMES.has(name)) return 'text/plain'
  const dot = name.lastIndexOf('.')
  if (dot <= 0 || dot === name.length - 1) return null
  return TEXT_EXTENSIONS[name.slice(dot + 1)] ?? null
}

/** The type a filename's extension maps to (text or binary), or null when unrecognised. */
export function typeForFilename(filename: unknown): string | null {
  const text = textTypeForFilename(filename)
  if (text !== null || typeof filename !== 'string') return text
  const name = baseName(filename)
  const dot = name.lastIndexOf('.')
  if (dot < 0 || dot === name.length - 1) return null
  return BINARY_EXTENSIONS[name.slice(dot + 1)] ?? null
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false
  for (let i = 0; i < signature.length; i++) {
    if (bytes[offset + i] !== signature[i]) return false
  }
  return true
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff]
const GIF87 = [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]
const GIF89 = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]
const RIFF = [0x52, 0x49, 0x46, 0x46]
const WEBP = [0x57, 0x45, 0x42, 0x50]
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]

/** The image type the magic bytes at the start of `bytes` announce, or null. */
export function sniffImageType(bytes: Uint8Array): SniffedImageType | null {
  if (startsWith(bytes, PNG)) return 'image/png'
  if (startsWith(bytes, JPEG)) return 'image/jpeg'
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return 'image/gif'
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'image/webp'
  return null
}

/**
 * True when `bytes` contains no NUL byte and is valid UTF-8, allowing the last multi-byte sequence
 * to be cut off (the bytes may be only the head of a longer file).
 */
export function looksLikeUtf8Text(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
    return true
  } catch {
    return false
  }
}

/** True when `bytes` starts with the PDF magic `%PDF-`. */
export function isPdf(bytes: Uint8Array): boolean {
  return startsWith(bytes, PDF)
}

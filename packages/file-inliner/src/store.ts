import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { chmod, type FileHandle, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import {
  DIR_MODE,
  ensurePrivateDir,
  FILE_MODE,
  fsyncDir,
  randomHex,
  writeFileAtomic,
  ATOMIC_TMP_SUFFIX,
} from './_internal/fs'
import { createMutex } from './_internal/mutex'
import { createPuller, type Puller, type UploadSource } from './_internal/source'
import {
  DEFAULT_FILENAME,
  DEFAULT_PURPOSE,
  isFileId,
  normaliseMediaType,
  quoteForMessage,
  sanitizeLabel,
} from './_internal/text'
import { detectKind, isUninformativeType, isVerifiableImageType, textTypeForFilename } from './detect'
import { FileInlinerError, isFileInlinerError } from './errors'

export type { UploadSource } from './_internal/source'

/** An uploaded file as the OpenAI Files API shows it (`GET /v1/files/{id}`). */
export interface FileObject {
  /** `file_<32 lower-case hex>`, from a CSPRNG. */
  id: string
  object: 'file'
  /** Size in bytes. */
  bytes: number
  /** Upload time, Unix epoch seconds. */
  created_at: number
  /** The client's filename, sanitised for display. A label only, never a path. */
  filename: string
  /** The client's purpose, sanitised (default `assistants`). */
  purpose: string
  status: 'processed'
  /** The effective content type (see `detectKind`). */
  content_type: string
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string
}

/** Options of {@link createFileStore}. */
export interface FileStoreOptions {
  /**
   * The AIRelays data directory. Bytes live in `<dataDir>/uploads/<file_id>`, the metadata index in
   * `<dataDir>/uploads/index.json`, uploads are staged in `<dataDir>/tmp`. Created (0700) when
   * missing. Resolved by @airelays/config from `[paths] data_dir` / `AIRELAYS_DATA_DIR`
   * (default `~/.airelays`); this package reads no environment variables itself.
   */
  dataDir: string
  /**
   * Largest single upload, in bytes; enforced while the bytes stream in.
   * Config `[uploads] max_upload_bytes` / `AIRELAYS_MAX_UPLOAD_BYTES`.
   * @default 33554432 (32 MiB)
   */
  maxUploadBytes?: number
  /**
   * Largest total of stored uploads plus uploads in flight, in bytes.
   * Config `[uploads] max_total_upload_bytes` / `AIRELAYS_MAX_TOTAL_UPLOAD_BYTES`.
   * @default 268435456 (256 MiB)
   */
  maxTotalUploadBytes?: number
  /** Current time in epoch milliseconds, for `created_at`. @default Date.now */
  clock?: () => number
}

/** Per-upload options of {@link FileStore.create}. */
export interface CreateFileOptions {
  /** The client's filename; a display label only. @default "upload.bin" */
  filename?: string | null
  /** The upload purpose (the relay reads it from the query string). @default "assistants" */
  purpose?: string | null
  /** The declared content type; invalid values count as missing. @default "application/octet-stream" */
  contentType?: string | null
  /** Aborting it stops the upload, removes the partial file and releases its quota reservation. */
  signal?: AbortSignal
}

/** Result of {@link FileStore.openContent}. */
export interface FileContent {
  object: FileObject
  /** The stored bytes. Consume or destroy it: it holds an open file descriptor until then. */
  stream: Readable
  /** The stored content type, for the `content-type` header. */
  contentType: string
}

/** Result of {@link FileStore.delete}. */
export interface FileDeleted {
  id: string
  object: 'file'
  deleted: true
}

/** Result of {@link FileStore.usage}: what the relay status shows under `storage`. */
export interface FileStoreUsage {
  file_count: number
  total_bytes: number
}

/** What {@link FileStore.open} found and repaired. */
export interface FileStoreOpenReport {
  /**
   * Where the metadata came from: `loaded` (index.json), `backup` (index.json was unreadable,
   * index.json.bak was used), `rebuilt` (neither was usable; entries were recreated from the stored
   * blobs), `created` (a new, empty store).
   */
  index: 'loaded' | 'backup' | 'rebuilt' | 'created'
  /** Files in the store after recovery. */
  fileCount: number
  /** Their total size in bytes. */
  totalBytes: number
  /** Blobs without an index entry that were deleted (uploads interrupted by a crash). */
  orphansRemoved: number
  /** Index entries dropped because they were malformed or their blob was missing or damaged. */
  entriesDropped: number
  /** Stale staging files and half-written index files that were deleted. */
  tmpRemoved: number
}

/** The upload store. Use one instance per data directory and process. */
export interface FileStore {
  /** The resolved data directory. */
  readonly dataDir: string
  /** `<dataDir>/uploads`. */
  readonly uploadsDir: string
  /** The effective per-upload limit in bytes. */
  readonly maxUploadBytes: number
  /** The effective total quota in bytes. */
  readonly maxTotalUploadBytes: number
  /**
   * Opens the store and recovers from a crash (idempotent; every other method calls it first).
   * Call it at startup to fail early and to log the report.
   */
  open(): Promise<FileStoreOpenReport>
  /**
   * Stores the bytes of `source`. Limits are enforced while streaming; on any failure the partial
   * file is removed, the quota reservation is released and nothing more is read from `source`.
   * @throws FileInlinerError `upload_too_large` | `upload_quota_exceeded` | `upload_aborted` |
   *   `upload_source_error` | `storage_error`
   */
  create(source: UploadSource, options?: CreateFileOptions): Promise<FileObject>
  /** Every stored file, newest first. */
  list(): Promise<FileObject[]>
  /** @throws FileInlinerError `file_not_found` (404) for unknown or malformed ids. */
  get(id: string): Promise<FileObject>
  /** @throws FileInlinerError `file_not_found` (404) for unknown or malformed ids. */
  openContent(id: string): Promise<FileContent>
  /** Deletes a file and frees its quota. @throws FileInlinerError `file_not_found` (404). */
  delete(id: string): Promise<FileDeleted>
  /** Count and total size of the stored files. */
  usage(): Promise<FileStoreUsage>
}

interface IndexEntry {
  id: string
  filename: string
  purpose: string
  content_type: string
  bytes: number
  sha256: string
  created_at: number
}

const INDEX_VERSION = 1
const INDEX_FILE = 'index.json'
const BACKUP_FILE = 'index.json.bak'
const STAGING_PREFIX = 'airelays-upload-'
const HEAD_BYTES = 8192
const SHA256_PATTERN = /^[0-9a-f]{64}$/

/** Default of {@link FileStoreOptions.maxUploadBytes}. */
const DEFAULT_MAX_UPLOAD_BYTES = 33_554_432
/** Default of {@link FileStoreOptions.maxTotalUploadBytes}. */
const DEFAULT_MAX_TOTAL_UPLOAD_BYTES = 268_435_456

function optionError(message: string): FileInlinerError {
  return new FileInlinerError({ code: 'invalid_option', status: 500, message })
}

function byteLimit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw optionError(`createFileStore: \`${name}\` must be a non-negative integer number of bytes.`)
  }
  return value
}

function notFound(id: unknown): FileInlinerError {
  return new FileInlinerError({
    code: 'file_not_found',
    status: 404,
    message: `Unknown file id \`${quoteForMessage(id)}\`.`,
  })
}

function abortedError(cause?: unknown): FileInlinerError {
  return new FileInlinerError({
    code: 'upload_aborted',
    status: 499,
    message: 'The upload was aborted before it completed.',
    cause,
  })
}

function storageError(cause: unknown): FileInlinerError {
  const code = (cause as { code?: unknown } | null)?.code
  const detail = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? ` (${code})` : ''
  return new FileInlinerError({
    code: 'storage_error',
    status: 500,
    message: `AIRelays could not access its upload store${detail}.`,
    cause,
  })
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** Marks an error thrown by the upload source itself (not by the store). */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

function toFileObject(entry: IndexEntry): FileObject {
  return {
    id: entry.id,
    object: 'file',
    bytes: entry.bytes,
    created_at: entry.created_at,
    filename: entry.filename,
    purpose: entry.purpose,
    status: 'processed',
    content_type: entry.content_type,
    sha256: entry.sha256,
  }
}

function parseEntry(value: unknown): IndexEntry | null {
  if (typeof value !== 'object' || value === null) return null
  const e = value as Record<string, unknown>
  if (!isFileId(e.id)) return null
  if (typeof e.filename !== 'string' || typeof e.purpose !== 'string') return null
  if (typeof e.content_type !== 'string' || normaliseMediaType(e.content_type) === null) return null
  if (typeof e.bytes !== 'number' || !Number.isSafeInteger(e.bytes) || e.bytes < 0) return null
  if (typeof e.sha256 !== 'string' || !SHA256_PATTERN.test(e.sha256)) return null
  if (typeof e.created_at !== 'number' || !Number.isSafeInteger(e.created_at)) return null
  return {
    id: e.id,
    filename: sanitizeLabel(e.filename, DEFAULT_FILENAME),
    purpose: sanitizeLabel(e.purpose, DEFAULT_PURPOSE),
    content_type: e.content_type,
    bytes: e.bytes,
    sha256: e.sha256,
    created_at: e.created_at,
  }
}

type IndexRead =
  | { state: 'ok'; entries: IndexEntry[]; dropped: number }
  | { state: 'missing' }
  | { state: 'corrupt' }

async function readIndex(path: string): Promise<IndexRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (isMissing(error)) return { state: 'missing' }
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { state: 'corrupt' }
  }
  if (typeof parsed !== 'object' || parsed === null) return { state: 'corrupt' }
  const root = parsed as { version?: unknown; files?: unknown }
  if (root.version !== INDEX_VERSION || !Array.isArray(root.files)) return { state: 'corrupt' }
  const entries: IndexEntry[] = []
  const seen = new Set<string>()
  let dropped = 0
  for (const raw of root.files) {
    const entry = parseEntry(raw)
    if (entry === null || seen.has(entry.id)) {
      dropped++
      continue
    }
    seen.add(entry.id)
    entries.push(entry)
  }
  return { state: 'ok', entries, dropped }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

/** Streams a stored blob to recover its metadata when the index is lost. */
async function describeBlob(path: string, id: string, mtimeMs: number): Promise<IndexEntry> {
  const handle = await open(path, 'r')
  const hash = createHash('sha256')
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let head = Buffer.alloc(0)
  let bytes = 0
  let utf8 = true
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      const buf = chunk as Buffer
      bytes += buf.length
      hash.update(buf)
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, buf.subarray(0, HEAD_BYTES - head.length)])
      if (utf8) {
        try {
          if (buf.includes(0)) utf8 = false
          else decoder.decode(buf, { stream: true })
        } catch {
          utf8 = false
        }
      }
    }
  } finally {
    await handle.close()
  }
  if (utf8) {
    try {
      decoder.decode()
    } catch {
      utf8 = false
    }
  }
  const detected = detectKind(head, null, null)
  const contentType = detected.kind === 'other' && utf8 && bytes > 0 ? 'text/plain' : detected.contentType
  return {
    id,
    filename: DEFAULT_FILENAME,
    purpose: DEFAULT_PURPOSE,
    content_type: contentType,
    bytes,
    sha256: hash.digest('hex'),
    created_at: Math.floor(mtimeMs / 1000),
  }
}

/**
 * Creates the upload store for `options.dataDir`. Nothing touches the disk until the first call;
 * `open()` (called by every method) creates the directories and recovers from crashes.
 *
 * @throws FileInlinerError `invalid_option` for a missing `dataDir` or a bad limit.
 */
export function createFileStore(options: FileStoreOptions): FileStore {
  if (typeof options?.dataDir !== 'string' || options.dataDir.trim() === '') {
    throw optionError('createFileStore: `dataDir` must be a non-empty path.')
  }
  const maxUploadBytes = byteLimit(options.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, 'maxUploadBytes')
  const maxTotalUploadBytes = byteLimit(
    options.maxTotalUploadBytes,
    DEFAULT_MAX_TOTAL_UPLOAD_BYTES,
    'maxTotalUploadBytes',
  )
  const clock = options.clock ?? Date.now
  const dataDir = resolve(options.dataDir)
  const uploadsDir = join(dataDir, 'uploads')
  const tmpDir = join(dataDir, 'tmp')
  const indexPath = join(uploadsDir, INDEX_FILE)
  const backupPath = join(uploadsDir, BACKUP_FILE)
  const blobPath = (id: string): string => join(uploadsDir, id)

  const mutex = createMutex()
  let entries = new Map<string, IndexEntry>()
  /** Bytes of stored files. */
  let committedBytes = 0
  /** Bytes received by uploads still in flight. */
  let reservedBytes = 0
  let opening: Promise<FileStoreOpenReport> | null = null

  async function persist(): Promise<void> {
    const data = `${JSON.stringify({ version: INDEX_VERSION, files: [...entries.values()] })}\n`
    await writeFileAtomic(indexPath, uploadsDir, data)
    // The backup mirrors the last good index. It is best effort: the primary is already durable.
    await writeFileAtomic(backupPath, uploadsDir, data).catch(() => undefined)
  }

  async function recover(): Promise<FileStoreOpenReport> {
    await mkdir(dataDir, { recursive: true, mode: DIR_MODE })
    await ensurePrivateDir(uploadsDir)
    await ensurePrivateDir(tmpDir)
    let tmpRemoved = 0

    for (const name of await readdir(tmpDir)) {
      if (!name.startsWith(STAGING_PREFIX)) continue
      await rm(join(tmpDir, name), { force: true, recursive: true })
      tmpRemoved++
    }

    const blobs = new Map<string, Dirent>()
    for (const dirent of await readdir(uploadsDir, { withFileTypes: true })) {
      const name = dirent.name
      if (name.startsWith(`${INDEX_FILE}.`) && name.endsWith(ATOMIC_TMP_SUFFIX)) {
        await rm(join(uploadsDir, name), { force: true })
        tmpRemoved++
      } else if (isFileId(name)) {
        blobs.set(name, dirent)
      }
    }

    let source: FileStoreOpenReport['index']
    let loaded: IndexEntry[]
    let entriesDropped = 0
    const primary = await readIndex(indexPath)
    const backup = primary.state === 'ok' ? null : await readIndex(backupPath)
    if (primary.state === 'ok') {
      source = 'loaded'
      loaded = primary.entries
      entriesDropped += primary.dropped
    } else if (backup?.state === 'ok') {
      source = 'backup'
      loaded = backup.entries
      entriesDropped += backup.dropped
    } else {
      // No usable metadata: keep the bytes, recreate the entries from the blobs themselves.
      const neverExisted = primary.state === 'missing' && backup?.state === 'missing'
      source = neverExisted && blobs.size === 0 ? 'created' : 'rebuilt'
      loaded = []
      for (const [id, dirent] of blobs) {
        if (!dirent.isFile()) continue
        const info = await lstat(blobPath(id))
        loaded.push(await describeBlob(blobPath(id), id, info.mtimeMs))
      }
      loaded.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))
    }

    const kept = new Map<string, IndexEntry>()
    for (const entry of loaded) {
      const dirent = blobs.get(entry.id)
      let ok = false
      if (dirent?.isFile()) {
        const info = await lstat(blobPath(entry.id))
        ok = info.size === entry.bytes
        if (ok && (info.mode & 0o777) !== FILE_MODE) await chmod(blobPath(entry.id), FILE_MODE)
      }
      if (ok) kept.set(entry.id, entry)
      else entriesDropped++
    }

    let orphansRemoved = 0
    for (const [id, dirent] of blobs) {
      if (kept.has(id)) continue
      // Blobs without an entry (a crash between the blob rename and the index update) and blobs
      // whose entry was dropped. Directories with an id-like name are not ours to delete.
      if (dirent.isDirectory()) continue
      await rm(blobPath(id), { force: true })
      orphansRemoved++
    }

    entries = kept
    committedBytes = 0
    for (const entry of kept.values()) committedBytes += entry.bytes
    await persist()
    return {
      index: source,
      fileCount: kept.size,
      totalBytes: committedBytes,
      orphansRemoved,
      entriesDropped,
      tmpRemoved,
    }
  }

  function ready(): Promise<FileStoreOpenReport> {
    if (opening === null) {
      const attempt = mutex.run(recover).catch((error: unknown) => {
        opening = null
        throw isFileInlinerError(error) ? error : storageError(error)
      })
      opening = attempt
    }
    return opening
  }

  function requireId(id: unknown): string {
    if (!isFileId(id)) throw notFound(id)
    return id
  }

  async function lookup(id: unknown): Promise<IndexEntry> {
    const valid = requireId(id)
    await ready()
    const entry = entries.get(valid)
    if (entry === undefined) throw notFound(valid)
    return entry
  }

  async function forget(entry: IndexEntry): Promise<void> {
    await mutex.run(async () => {
      if (entries.get(entry.id) !== entry) return
      entries.delete(entry.id)
      committedBytes -= entry.bytes
      await persist().catch(() => undefined)
    })
  }

  async function create(source: UploadSource, createOptions: CreateFileOptions = {}): Promise<FileObject> {
    const { signal } = createOptions
    const filename = sanitizeLabel(createOptions.filename, DEFAULT_FILENAME)
    const purpose = sanitizeLabel(createOptions.purpose, DEFAULT_PURPOSE)
    const declared = normaliseMediaType(createOptions.contentType)
    if (signal?.aborted) throw abortedError(signal.reason)
    const puller: Puller = createPuller(source)

    let reservation = 0
    let handle: FileHandle | undefined
    let stagingPath: string | undefined
    let moved = false
    let onAbort: (() => void) | undefined
    let aborted: Promise<never> | undefined
    if (signal) {
      aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(abortedError(signal.reason))
        signal.addEventListener('abort', onAbort, { once: true })
      })
      aborted.catch(() => undefined)
    }

    const pull = async (): Promise<Uint8Array | null> => {
      const pending = puller.next().catch((error: unknown) => {
        throw new SourceFailure(error)
      })
      if (aborted === undefined) return pending
      pending.catch(() => undefined)
      return Promise.race([pending, aborted])
    }
    const checkAbort = (): void => {
      if (signal?.aborted) throw abortedError(signal.reason)
    }

    try {
      await ready()
      checkAbort()
      const id = `file_${randomHex(16)}`
      stagingPath = join(tmpDir, `${STAGING_PREFIX}${randomHex(16)}.part`)
      handle = await open(stagingPath, 'wx', FILE_MODE)

      const hash = createHash('sha256')
      let head = Buffer.alloc(0)
      let size = 0
      // Text detected only from the extension must be valid UTF-8 (without NUL) from end to end.
      const decideByContent =
        (isUninformativeType(declared) || isVerifiableImageType(declared)) &&
        textTypeForFilename(filename) !== null
      const decoder = decideByContent ? new TextDecoder('utf-8', { fatal: true }) : null
      let utf8 = decideByContent

      for (;;) {
        const chunk = await pull()
        if (chunk === null) break
        if (chunk.length === 0) continue
        if (size + chunk.length > maxUploadBytes) {
          throw new FileInlinerError({
            code: 'upload_too_large',
            status: 413,
            message: `Uploaded file exceeds the configured AIRelays upload limit of ${maxUploadBytes} bytes.`,
          })
        }
        // Reserve before writing: check and increment run in one synchronous step, so concurrent
        // uploads can never together go over the quota.
        if (committedBytes + reservedBytes + chunk.length > maxTotalUploadBytes) {
          throw new FileInlinerError({
            code: 'upload_quota_exceeded',
            status: 413,
            message: `Stored uploads would exceed the configured AIRelays upload quota of ${maxTotalUploadBytes} bytes.`,
          })
        }
        reservedBytes += chunk.length
        reservation += chunk.length
        size += chunk.length
        hash.update(chunk)
        if (head.length < HEAD_BYTES) {
          head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)])
        }
        if (utf8 && decoder !== null) {
          try {
            if (chunk.includes(0)) utf8 = false
            else decoder.decode(chunk, { stream: true })
          } catch {
            utf8 = false
          }
        }
        await writeAll(handle, chunk)
        checkAbort()
      }
      if (utf8 && decoder !== null) {
        try {
          decoder.decode()
        } catch {
          utf8 = false
        }
      }
      await handle.sync()
      await handle.close()
      handle = undefined

      let detected = detectKind(head, declared, filename)
      if (decideByContent && detected.kind === 'text' && !utf8) {
        detected = detectKind(head, declared, null)
      }
      const entry: IndexEntry = {
        id,
        filename,
        purpose,
        content_type: detected.contentType,
        bytes: size,
        sha256: hash.digest('hex'),
        created_at: Math.floor(clock() / 1000),
      }
      const staged = stagingPath
      await mutex.run(async () => {
        checkAbort()
        // Order matters for crash safety: bytes first (fsynced, renamed, directory fsynced), then the
        // index. A crash in between leaves an orphan blob, which the next open() deletes.
        await rename(staged, blobPath(id))
        moved = true
        await fsyncDir(uploadsDir)
        entries.set(id, entry)
        try {
          await persist()
        } catch (error) {
          entries.delete(id)
          await rm(blobPath(id), { force: true }).catch(() => undefined)
          throw error
        }
        committedBytes += size
        reservedBytes -= reservation
        reservation = 0
      })
      return toFileObject(entry)
    } catch (error) {
      // Release the reservation the moment the upload fails, before the cleanup below awaits, so
      // concurrent uploads are not refused for bytes that are about to be deleted.
      reservedBytes -= reservation
      reservation = 0
      if (handle !== undefined) await handle.close().catch(() => undefined)
      if (stagingPath !== undefined && !moved) await rm(stagingPath, { force: true }).catch(() => undefined)
      if (error instanceof SourceFailure) {
        if (signal?.aborted) throw abortedError(signal.reason)
        if (isFileInlinerError(error.error)) throw error.error
        throw new FileInlinerError({
          code: 'upload_source_error',
          status: 400,
          message: 'The upload body ended with an error before it was complete.',
          cause: error.error,
        })
      }
      if (isFileInlinerError(error)) throw error
      throw storageError(error)
    } finally {
      reservedBytes -= reservation
      reservation = 0
      puller.stop()
      if (signal && onAbort) signal.removeEventListener('abort', onAbort)
    }
  }

  return {
    dataDir,
    uploadsDir,
    maxUploadBytes,
    maxTotalUploadBytes,
    open: ready,
    create,
    async list() {
      await ready()
      const all = [...entries.values()].reverse()
      all.sort((a, b) => b.created_at - a.created_at)
      return all.map(toFileObject)
    },
    async get(id) {
      return toFileObject(await lookup(id))
    },
    async openContent(id) {
      const entry = await lookup(id)
      let handle: FileHandle
      try {
        handle = await open(blobPath(entry.id), 'r')
      } catch (error) {
        if (isMissing(error)) {
          await forget(entry)
          throw notFound(entry.id)
        }
        throw storageError(error)
      }
      return {
        object: toFileObject(entry),
        stream: handle.createReadStream(),
        contentType: entry.content_type,
      }
    },
    async delete(id) {
      const valid = requireId(id)
      await ready()
      return mutex.run(async () => {
        const entry = entries.get(valid)
        if (entry === undefined) throw notFound(valid)
        const before = entries
        entries = new Map(entries)
        entries.delete(valid)
        try {
          await persist()
        } catch (error) {
          entries = before
          throw storageError(error)
        }
        committedBytes -= entry.bytes
        // If this unlink fails, the blob is an orphan and the next open() removes it.
        await rm(blobPath(valid), { force: true }).catch(() => undefined)
        return { id: valid, object: 'file' as const, deleted: true as const }
      })
    },
    async usage() {
      await ready()
      return { file_count: entries.size, total_bytes: committedBytes }
    },
  }
}

// Public types of the upload store (see createFileStore in ./store).
import type { Readable } from 'node:stream'

/**
 * Where upload bytes come from: any async iterable of byte chunks (an async generator, a Node
 * `Readable`, a multipart file stream), a WHATWG `ReadableStream` (`request.body`), or one buffer.
 */
export type UploadSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Readable | Uint8Array

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

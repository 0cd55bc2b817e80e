import { join, resolve } from 'node:path'
import type { FileObject, FileStoreOpenReport, FileStoreOptions } from '../../types'
import { createMutex, type Mutex } from '../mutex'
import { optionError } from './errors'

/** One file in the metadata index (`uploads/index.json`). */
export interface IndexEntry {
  id: string
  filename: string
  purpose: string
  content_type: string
  bytes: number
  sha256: string
  created_at: number
}

/**
 * Everything one file store knows: its paths and limits (fixed at creation) and the few mutable
 * fields the modules under `_internal/store/` share. Mutations of `entries` that must be durable
 * happen inside `mutex`; `committedBytes` and `reservedBytes` are changed only by `quota.ts`.
 */
export interface StoreState {
  readonly dataDir: string
  /** `<dataDir>/uploads`: one blob per file id, plus the index and its backup. */
  readonly uploadsDir: string
  /** `<dataDir>/tmp`: uploads are staged here until they are complete. */
  readonly tmpDir: string
  readonly indexPath: string
  readonly backupPath: string
  readonly maxUploadBytes: number
  readonly maxTotalUploadBytes: number
  /** Epoch milliseconds. */
  readonly clock: () => number
  /** Serialises every change of the index (recovery, commit of an upload, delete). */
  readonly mutex: Mutex
  /** The stored files in upload order. `delete` swaps in a new map so a failed write can roll back. */
  entries: Map<string, IndexEntry>
  /** Bytes of stored files. */
  committedBytes: number
  /** Bytes received by uploads still in flight. */
  reservedBytes: number
  /** The recovery run of `open()`, shared by every caller; reset when it fails. */
  opening: Promise<FileStoreOpenReport> | null
}

export const INDEX_FILE = 'index.json'
const BACKUP_FILE = 'index.json.bak'
/** Name prefix of the staging files in `tmp/`. */
export const STAGING_PREFIX = 'airelays-upload-'

/** Default of {@link FileStoreOptions.maxUploadBytes}. */
const DEFAULT_MAX_UPLOAD_BYTES = 33_554_432
/** Default of {@link FileStoreOptions.maxTotalUploadBytes}. */
const DEFAULT_MAX_TOTAL_UPLOAD_BYTES = 268_435_456

function byteLimit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw optionError(`createFileStore: \`${name}\` must be a non-negative integer number of bytes.`)
  }
  return value
}

/** Validates the options and builds the (still empty) state; touches no files. */
export function createStoreState(options: FileStoreOptions): StoreState {
  if (typeof options?.dataDir !== 'string' || options.dataDir.trim() === '') {
    throw optionError('createFileStore: `dataDir` must be a non-empty path.')
  }
  const maxUploadBytes = byteLimit(options.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, 'maxUploadBytes')
  const maxTotalUploadBytes = byteLimit(
    options.maxTotalUploadBytes,
    DEFAULT_MAX_TOTAL_UPLOAD_BYTES,
    'maxTotalUploadBytes',
  )
  const dataDir = resolve(options.dataDir)
  const uploadsDir = join(dataDir, 'uploads')
  return {
    dataDir,
    uploadsDir,
    tmpDir: join(dataDir, 'tmp'),
    indexPath: join(uploadsDir, INDEX_FILE),
    backupPath: join(uploadsDir, BACKUP_FILE),
    maxUploadBytes,
    maxTotalUploadBytes,
    clock: options.clock ?? Date.now,
    mutex: createMutex(),
    entries: new Map(),
    committedBytes: 0,
    reservedBytes: 0,
    opening: null,
  }
}

/** Where the bytes of file `id` live. */
export function blobPath(state: StoreState, id: string): string {
  return join(state.uploadsDir, id)
}

export function toFileObject(entry: IndexEntry): FileObject {
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

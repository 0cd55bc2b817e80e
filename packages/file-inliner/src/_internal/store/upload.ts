import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { detectKind } from '../../detect'
import { FileInlinerError, isFileInlinerError } from '../../errors'
import type { CreateFileOptions, FileObject, UploadSource } from '../../types'
import { FILE_MODE, fsyncDir, randomHex } from '../fs'
import { isUninformativeType, isVerifiableImageType, textTypeForFilename } from '../media-types'
import { createPuller, type Puller } from '../source'
import { DEFAULT_FILENAME, DEFAULT_PURPOSE, normaliseMediaType, sanitizeLabel } from '../text'
import { abortedError, storageError } from './errors'
import { persist } from './index-file'
import { createContentProbe, type ProbeResult } from './probe'
import { type Reservation, reserveUpload } from './quota'
import { ready } from './recovery'
import { blobPath, type IndexEntry, STAGING_PREFIX, type StoreState, toFileObject } from './state'

// Writing one upload: stream it into a staging file under quota, then move it into the store.

/** Marks an error thrown by the upload source itself (not by the store). */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

/** The client's labels, sanitised once. */
interface UploadLabels {
  filename: string
  purpose: string
  /** The declared content type, or null when missing or invalid. */
  declared: string | null
}

/** Turns an abort signal into a promise to race reads against, and a synchronous check. */
interface AbortWatch {
  /** Rejects with `upload_aborted` once the signal fires; undefined without a signal. */
  readonly aborted: Promise<never> | undefined
  /** Throws `upload_aborted` when the signal has fired. */
  check(): void
  dispose(): void
}

function watchAbort(signal: AbortSignal | undefined): AbortWatch {
  let onAbort: (() => void) | undefined
  let aborted: Promise<never> | undefined
  if (signal) {
    aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortedError(signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })
    })
    aborted.catch(() => undefined)
  }
  return {
    aborted,
    check() {
      if (signal?.aborted) throw abortedError(signal.reason)
    },
    dispose() {
      if (signal && onAbort) signal.removeEventListener('abort', onAbort)
    },
  }
}

/** The staging file of one upload, tracked so a failure can clean it up. */
interface Staging {
  path: string | undefined
  handle: FileHandle | undefined
  /** Set once the file was renamed into `uploads/`: from then on it is no longer staging. */
  moved: boolean
}

/**
 * Stores the bytes of `source` (see {@link FileStore.create}): limits are enforced while
 * streaming; on any failure the staging file is removed, the reservation released and nothing
 * more is read from `source`.
 */
export async function createUpload(
  state: StoreState,
  source: UploadSource,
  options: CreateFileOptions = {},
): Promise<FileObject> {
  const { signal } = options
  const labels: UploadLabels = {
    filename: sanitizeLabel(options.filename, DEFAULT_FILENAME),
    purpose: sanitizeLabel(options.purpose, DEFAULT_PURPOSE),
    declared: normaliseMediaType(options.contentType),
  }
  if (signal?.aborted) throw abortedError(signal.reason)
  const puller = createPuller(source)
  const abort = watchAbort(signal)
  const reservation = reserveUpload(state)
  const staging: Staging = { path: undefined, handle: undefined, moved: false }
  try {
    await ready(state)
    abort.check()
    const id = `file_${randomHex(16)}`
    staging.path = join(state.tmpDir, `${STAGING_PREFIX}${randomHex(16)}.part`)
    staging.handle = await open(staging.path, 'wx', FILE_MODE)
    const entry = await receive(state, { id, labels, puller, abort, reservation, handle: staging.handle })
    await staging.handle.close()
    staging.handle = undefined
    await commit(state, { entry, staging, reservation, abort })
    return toFileObject(entry)
  } catch (error) {
    // Release the reservation the moment the upload fails, before the cleanup below awaits, so
    // concurrent uploads are not refused for bytes that are about to be deleted.
    reservation.release()
    await discard(staging)
    throw uploadFailure(error, signal)
  } finally {
    reservation.release()
    puller.stop()
    abort.dispose()
  }
}

interface ReceiveInput {
  id: string
  labels: UploadLabels
  puller: Puller
  abort: AbortWatch
  reservation: Reservation
  handle: FileHandle
}

/** Streams the source into the staging file (fsynced at the end) and describes what arrived. */
async function receive(state: StoreState, input: ReceiveInput): Promise<IndexEntry> {
  const { labels, puller, abort, reservation, handle } = input
  // Text detected only from the extension must be valid UTF-8 (without NUL) from end to end.
  const decideByContent =
    (isUninformativeType(labels.declared) || isVerifiableImageType(labels.declared)) &&
    textTypeForFilename(labels.filename) !== null
  const probe = createContentProbe({ checkUtf8: decideByContent })
  const pull = async (): Promise<Uint8Array | null> => {
    const pending = puller.next().catch((error: unknown) => {
      throw new SourceFailure(error)
    })
    if (abort.aborted === undefined) return pending
    pending.catch(() => undefined)
    return Promise.race([pending, abort.aborted])
  }
  for (;;) {
    const chunk = await pull()
    if (chunk === null) break
    if (chunk.length === 0) continue
    reservation.grow(chunk.length)
    probe.update(chunk)
    await writeAll(handle, chunk)
    abort.check()
  }
  const seen = probe.finish()
  await handle.sync()
  return {
    id: input.id,
    filename: labels.filename,
    purpose: labels.purpose,
    content_type: contentTypeOf(seen, labels, decideByContent),
    bytes: seen.bytes,
    sha256: seen.sha256,
    created_at: Math.floor(state.clock() / 1000),
  }
}

function contentTypeOf(seen: ProbeResult, labels: UploadLabels, decideByContent: boolean): string {
  let detected = detectKind(seen.head, labels.declared, labels.filename)
  if (decideByContent && detected.kind === 'text' && !seen.utf8) {
    detected = detectKind(seen.head, labels.declared, null)
  }
  return detected.contentType
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

interface CommitInput {
  entry: IndexEntry
  staging: Staging
  reservation: Reservation
  abort: AbortWatch
}

/** Moves the staged bytes into the store and records them in the index, under the mutex. */
async function commit(state: StoreState, input: CommitInput): Promise<void> {
  const { entry, staging, reservation, abort } = input
  const staged = staging.path as string
  const target = blobPath(state, entry.id)
  await state.mutex.run(async () => {
    abort.check()
    // Order matters for crash safety: bytes first (fsynced, renamed, directory fsynced), then the
    // index. A crash in between leaves an orphan blob, which the next open() deletes.
    await rename(staged, target)
    staging.moved = true
    await fsyncDir(state.uploadsDir)
    state.entries.set(entry.id, entry)
    try {
      await persist(state)
    } catch (error) {
      state.entries.delete(entry.id)
      await rm(target, { force: true }).catch(() => undefined)
      throw error
    }
    reservation.commit()
  })
}

async function discard(staging: Staging): Promise<void> {
  if (staging.handle !== undefined) await staging.handle.close().catch(() => undefined)
  if (staging.path !== undefined && !staging.moved)
    await rm(staging.path, { force: true }).catch(() => undefined)
}

/** The error an upload failure surfaces as. */
function uploadFailure(error: unknown, signal: AbortSignal | undefined): FileInlinerError {
  if (error instanceof SourceFailure) {
    if (signal?.aborted) return abortedError(signal.reason)
    if (isFileInlinerError(error.error)) return error.error
    return new FileInlinerError({
      code: 'upload_source_error',
      status: 400,
      message: 'The upload body ended with an error before it was complete.',
      cause: error.error,
    })
  }
  if (isFileInlinerError(error)) return error
  return storageError(error)
}

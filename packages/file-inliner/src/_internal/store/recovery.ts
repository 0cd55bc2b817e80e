import type { Dirent } from 'node:fs'
import { chmod, lstat, mkdir, open, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { detectKind } from '../../detect'
import { isFileInlinerError } from '../../errors'
import type { FileStoreOpenReport } from '../../types'
import { ATOMIC_TMP_SUFFIX, DIR_MODE, ensurePrivateDir, FILE_MODE } from '../fs'
import { DEFAULT_FILENAME, DEFAULT_PURPOSE, isFileId } from '../text'
import { storageError } from './errors'
import { persist, readIndex } from './index-file'
import { createContentProbe } from './probe'
import { recountStored } from './quota'
import { blobPath, INDEX_FILE, type IndexEntry, STAGING_PREFIX, type StoreState } from './state'

// Opening a store: create the directories, then repair whatever a crash left behind.

/**
 * Runs the recovery once (under the store's mutex) and shares its report with every caller. A
 * failed attempt is forgotten, so the next call tries again.
 */
export function ready(state: StoreState): Promise<FileStoreOpenReport> {
  if (state.opening === null) {
    const attempt = state.mutex
      .run(() => recover(state))
      .catch((error: unknown) => {
        state.opening = null
        throw isFileInlinerError(error) ? error : storageError(error)
      })
    state.opening = attempt
  }
  return state.opening
}

async function recover(state: StoreState): Promise<FileStoreOpenReport> {
  await mkdir(state.dataDir, { recursive: true, mode: DIR_MODE })
  await ensurePrivateDir(state.uploadsDir)
  await ensurePrivateDir(state.tmpDir)
  let tmpRemoved = await removeStaging(state)
  const scan = await scanUploads(state)
  tmpRemoved += scan.tmpRemoved
  const loaded = await loadEntries(state, scan.blobs)
  const { kept, dropped } = await keepIntactEntries(state, loaded.entries, scan.blobs)
  const orphansRemoved = await removeOrphans(state, scan.blobs, kept)

  state.entries = kept
  recountStored(state)
  await persist(state)
  return {
    index: loaded.source,
    fileCount: kept.size,
    totalBytes: state.committedBytes,
    orphansRemoved,
    entriesDropped: loaded.dropped + dropped,
    tmpRemoved,
  }
}

/** Deletes the staging files of uploads that were in flight when the process stopped. */
async function removeStaging(state: StoreState): Promise<number> {
  let removed = 0
  for (const name of await readdir(state.tmpDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue
    await rm(join(state.tmpDir, name), { force: true, recursive: true })
    removed++
  }
  return removed
}

/** Lists the blobs in `uploads/` and deletes half-written index files. */
async function scanUploads(state: StoreState): Promise<{ blobs: Map<string, Dirent>; tmpRemoved: number }> {
  const blobs = new Map<string, Dirent>()
  let tmpRemoved = 0
  for (const dirent of await readdir(state.uploadsDir, { withFileTypes: true })) {
    const name = dirent.name
    if (name.startsWith(`${INDEX_FILE}.`) && name.endsWith(ATOMIC_TMP_SUFFIX)) {
      await rm(join(state.uploadsDir, name), { force: true })
      tmpRemoved++
    } else if (isFileId(name)) {
      blobs.set(name, dirent)
    }
  }
  return { blobs, tmpRemoved }
}

interface LoadedEntries {
  source: FileStoreOpenReport['index']
  entries: IndexEntry[]
  /** Entries the index file held that were malformed or duplicated. */
  dropped: number
}

/** The index, else its backup, else entries rebuilt from the blobs themselves. */
async function loadEntries(state: StoreState, blobs: Map<string, Dirent>): Promise<LoadedEntries> {
  const primary = await readIndex(state.indexPath)
  if (primary.state === 'ok') return { source: 'loaded', entries: primary.entries, dropped: primary.dropped }
  const backup = await readIndex(state.backupPath)
  if (backup.state === 'ok') return { source: 'backup', entries: backup.entries, dropped: backup.dropped }
  // No usable metadata: keep the bytes, recreate the entries from the blobs themselves.
  const neverExisted = primary.state === 'missing' && backup.state === 'missing'
  const entries: IndexEntry[] = []
  for (const [id, dirent] of blobs) {
    if (!dirent.isFile()) continue
    const info = await lstat(blobPath(state, id))
    entries.push(await describeBlob(blobPath(state, id), id, info.mtimeMs))
  }
  entries.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))
  return { source: neverExisted && blobs.size === 0 ? 'created' : 'rebuilt', entries, dropped: 0 }
}

/** Keeps the entries whose blob is a regular file of the recorded size (and fixes its mode). */
async function keepIntactEntries(
  state: StoreState,
  entries: IndexEntry[],
  blobs: Map<string, Dirent>,
): Promise<{ kept: Map<string, IndexEntry>; dropped: number }> {
  const kept = new Map<string, IndexEntry>()
  let dropped = 0
  for (const entry of entries) {
    const dirent = blobs.get(entry.id)
    let ok = false
    if (dirent?.isFile()) {
      const info = await lstat(blobPath(state, entry.id))
      ok = info.size === entry.bytes
      if (ok && (info.mode & 0o777) !== FILE_MODE) await chmod(blobPath(state, entry.id), FILE_MODE)
    }
    if (ok) kept.set(entry.id, entry)
    else dropped++
  }
  return { kept, dropped }
}

async function removeOrphans(
  state: StoreState,
  blobs: Map<string, Dirent>,
  kept: Map<string, IndexEntry>,
): Promise<number> {
  let removed = 0
  for (const [id, dirent] of blobs) {
    if (kept.has(id)) continue
    // Blobs without an entry (a crash between the blob rename and the index update) and blobs
    // whose entry was dropped. Directories with an id-like name are not ours to delete.
    if (dirent.isDirectory()) continue
    await rm(blobPath(state, id), { force: true })
    removed++
  }
  return removed
}

/** Streams a stored blob to recover its metadata when the index is lost. */
async function describeBlob(path: string, id: string, mtimeMs: number): Promise<IndexEntry> {
  const handle = await open(path, 'r')
  const probe = createContentProbe({ checkUtf8: true })
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) probe.update(chunk as Buffer)
  } finally {
    await handle.close()
  }
  const { bytes, sha256, head, utf8 } = probe.finish()
  const detected = detectKind(head, null, null)
  const contentType = detected.kind === 'other' && utf8 && bytes > 0 ? 'text/plain' : detected.contentType
  return {
    id,
    filename: DEFAULT_FILENAME,
    purpose: DEFAULT_PURPOSE,
    content_type: contentType,
    bytes,
    sha256,
    created_at: Math.floor(mtimeMs / 1000),
  }
}

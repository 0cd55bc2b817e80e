import { type FileHandle, open, rm } from 'node:fs/promises'
import type { FileContent, FileDeleted, FileObject } from '../../types'
import { isFileId } from '../text'
import { isMissing, notFound, storageError } from './errors'
import { persist } from './index-file'
import { releaseStored } from './quota'
import { ready } from './recovery'
import { blobPath, type IndexEntry, type StoreState, toFileObject } from './state'

// Reading, listing and deleting stored files.

function requireId(id: unknown): string {
  if (!isFileId(id)) throw notFound(id)
  return id
}

async function lookup(state: StoreState, id: unknown): Promise<IndexEntry> {
  const valid = requireId(id)
  await ready(state)
  const entry = state.entries.get(valid)
  if (entry === undefined) throw notFound(valid)
  return entry
}

/** Drops an entry whose blob vanished behind the store's back (best effort). */
async function forget(state: StoreState, entry: IndexEntry): Promise<void> {
  await state.mutex.run(async () => {
    if (state.entries.get(entry.id) !== entry) return
    state.entries.delete(entry.id)
    releaseStored(state, entry.bytes)
    await persist(state).catch(() => undefined)
  })
}

/** Every stored file, newest first (ties: the later upload first). */
export async function listFiles(state: StoreState): Promise<FileObject[]> {
  await ready(state)
  const all = [...state.entries.values()].reverse()
  all.sort((a, b) => b.created_at - a.created_at)
  return all.map(toFileObject)
}

export async function getFile(state: StoreState, id: string): Promise<FileObject> {
  return toFileObject(await lookup(state, id))
}

export async function openFileContent(state: StoreState, id: string): Promise<FileContent> {
  const entry = await lookup(state, id)
  let handle: FileHandle
  try {
    handle = await open(blobPath(state, entry.id), 'r')
  } catch (error) {
    if (isMissing(error)) {
      await forget(state, entry)
      throw notFound(entry.id)
    }
    throw storageError(error)
  }
  return {
    object: toFileObject(entry),
    stream: handle.createReadStream(),
    contentType: entry.content_type,
  }
}

/** Removes the entry (durably, first) and then the blob. */
export async function deleteFile(state: StoreState, id: string): Promise<FileDeleted> {
  const valid = requireId(id)
  await ready(state)
  return state.mutex.run(async () => {
    const entry = state.entries.get(valid)
    if (entry === undefined) throw notFound(valid)
    const before = state.entries
    state.entries = new Map(state.entries)
    state.entries.delete(valid)
    try {
      await persist(state)
    } catch (error) {
      state.entries = before
      throw storageError(error)
    }
    releaseStored(state, entry.bytes)
    // If this unlink fails, the blob is an orphan and the next open() removes it.
    await rm(blobPath(state, valid), { force: true }).catch(() => undefined)
    return { id: valid, object: 'file' as const, deleted: true as const }
  })
}

import { deleteFile, getFile, listFiles, openFileContent } from './_internal/store/catalog'
import { usageOf } from './_internal/store/quota'
import { ready } from './_internal/store/recovery'
import { createStoreState } from './_internal/store/state'
import { createUpload } from './_internal/store/upload'
import type { FileStore, FileStoreOptions } from './types'

// The upload store is one state object (`_internal/store/state.ts`) shared by four modules:
//   quota.ts     per-upload reservations and the stored total
//   index-file.ts + recovery.ts
//                the metadata index on disk, and `open()`'s crash recovery
//   catalog.ts   list, get, openContent, delete
//   upload.ts    create: streaming into a staging file, then commit
// This factory only validates the options and wires the methods to them.

/**
 * Creates the upload store for `options.dataDir`. Nothing touches the disk until the first call;
 * `open()` (called by every method) creates the directories and recovers from crashes.
 *
 * @throws FileInlinerError `invalid_option` for a missing `dataDir` or a bad limit.
 */
export function createFileStore(options: FileStoreOptions): FileStore {
  const state = createStoreState(options)
  return {
    dataDir: state.dataDir,
    uploadsDir: state.uploadsDir,
    maxUploadBytes: state.maxUploadBytes,
    maxTotalUploadBytes: state.maxTotalUploadBytes,
    open: () => ready(state),
    create: (source, createOptions) => createUpload(state, source, createOptions),
    list: () => listFiles(state),
    get: (id) => getFile(state, id),
    openContent: (id) => openFileContent(state, id),
    delete: (id) => deleteFile(state, id),
    async usage() {
      await ready(state)
      return usageOf(state)
    },
  }
}

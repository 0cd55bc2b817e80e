// Public API of @airelays/file-inliner.

// Upload store
export { createFileStore } from './store'
export type {
  CreateFileOptions,
  FileContent,
  FileDeleted,
  FileObject,
  FileStore,
  FileStoreOpenReport,
  FileStoreOptions,
  FileStoreUsage,
  UploadSource,
} from './types'

// Type detection
export { detectKind } from './detect'
export type { DetectedKind, FileKind } from './detect'

// Expansion of file references in requests
export { expandFileReferences } from './expand'
export type { ExpandOptions, FileContentReader } from './expand'

// Errors
export { FileInlinerError, isFileInlinerError } from './errors'
export type { FileInlinerErrorCode, FileInlinerErrorInit } from './errors'

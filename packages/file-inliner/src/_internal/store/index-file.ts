import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../fs'
import { DEFAULT_FILENAME, DEFAULT_PURPOSE, isFileId, normaliseMediaType, sanitizeLabel } from '../text'
import { isMissing } from './errors'
import type { IndexEntry, StoreState } from './state'

// Persistence of the metadata index: `uploads/index.json` and its mirror `index.json.bak`.

const INDEX_VERSION = 1
const SHA256_PATTERN = /^[0-9a-f]{64}$/

/** What reading one index file found. */
export type IndexRead =
  | { state: 'ok'; entries: IndexEntry[]; dropped: number }
  | { state: 'missing' }
  | { state: 'corrupt' }

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

/** Reads and validates one index file; malformed and duplicate entries are dropped and counted. */
export async function readIndex(path: string): Promise<IndexRead> {
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

/** Writes `state.entries` to the index, crash-safely, then mirrors it to the backup. */
export async function persist(state: StoreState): Promise<void> {
  const data = `${JSON.stringify({ version: INDEX_VERSION, files: [...state.entries.values()] })}\n`
  await writeFileAtomic(state.indexPath, state.uploadsDir, data)
  // The backup mirrors the last good index. It is best effort: the primary is already durable.
  await writeFileAtomic(state.backupPath, state.uploadsDir, data).catch(() => undefined)
}

import { promises as fs } from 'node:fs'
import { join } from 'node:path'

/**
 * The traffic log's files on disk: every `*.log` file under `dir` (the hour files, up to three
 * levels down), with its size, oldest first (paths sort by hour); [] when `dir` does not exist.
 */
export async function trafficLogFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = []
  const walk = async (at: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fs.readdir(at, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(at, entry.name)
      if (entry.isDirectory() && depth < 3) await walk(path, depth + 1)
      else if (entry.isFile() && entry.name.endsWith('.log')) {
        const info = await fs.stat(path).catch(() => null)
        if (info) out.push({ path, size: info.size })
      }
    }
  }
  await walk(dir, 0)
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * The size budget of the traffic log (`[logging] max_total_bytes`, issue 26, item 1): before a
 * batch is appended, the oldest hour files are deleted until the batch fits; when the current
 * hour alone does not leave room, the batch is refused (the caller drops it and reports).
 * The total is counted once from the disk, then kept up to date by the writer.
 */
export class LogBudget {
  readonly #dir: string
  #max: number
  #total: number | null = null

  /** @param max bytes; 0 means no limit. */
  constructor(dir: string, max: number) {
    this.#dir = dir
    this.#max = max
  }

  /** The budget in bytes (0: no limit). */
  get max(): number {
    return this.#max
  }

  /** Change the budget from the next batch on (`PUT /v1/relay/logging`). */
  set max(bytes: number) {
    this.#max = bytes
  }

  /** Whether `bytes` more may be appended to `current` (deleting older hour files to make room). */
  async admit(bytes: number, current: string): Promise<boolean> {
    if (this.#max <= 0) return true
    if (this.#total === null) this.#total = (await trafficLogFiles(this.#dir)).reduce((n, f) => n + f.size, 0)
    if (this.#total + bytes <= this.#max) {
      this.#total += bytes
      return true
    }
    // Recount from the disk (retention or the user may have deleted files), oldest first.
    const files = await trafficLogFiles(this.#dir)
    let total = files.reduce((n, f) => n + f.size, 0)
    for (const file of files) {
      if (total + bytes <= this.#max) break
      if (file.path === current) continue
      try {
        await fs.rm(file.path, { force: true })
        total -= file.size
      } catch {
        // keep counting it
      }
    }
    this.#total = total
    if (total + bytes > this.#max) return false
    this.#total += bytes
    return true
  }
}

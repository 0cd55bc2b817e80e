// The traffic log's hour files on disk, as the relay counts them for `GET /v1/relay/logging`
// (apps/server/src/logging/log-budget.ts `hourFiles`): every `*.log` file up to three levels down.
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Every `*.log` file under `dir`, with its size, oldest first ([] when `dir` does not exist). */
export async function hourFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = []
  const walk = async (at: string, depth: number): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(at, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(at, entry.name)
      if (entry.isDirectory() && depth < 3) await walk(path, depth + 1)
      else if (entry.isFile() && entry.name.endsWith('.log')) {
        const info = await stat(path).catch(() => null)
        if (info) out.push({ path, size: info.size })
      }
    }
  }
  await walk(dir, 0)
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

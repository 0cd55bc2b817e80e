import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A real temp directory and the function that removes it. */
export interface TempDir {
  dir: string
  cleanup: () => Promise<void>
}

/** A fresh directory under the OS temp dir (`<prefix>XXXXXX`); `cleanup` removes it recursively. */
export async function makeTempDir(prefix = 'airelays-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Every file under `dir`, depth first, entries sorted by name ([] when `dir` does not exist). */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  let entries: string[]
  try {
    entries = (await readdir(dir)).sort()
  } catch {
    return out
  }
  for (const entry of entries) {
    const path = join(dir, entry)
    const info = await stat(path).catch(() => null)
    if (!info) continue
    if (info.isDirectory()) out.push(...(await walkFiles(path)))
    else out.push(path)
  }
  return out
}

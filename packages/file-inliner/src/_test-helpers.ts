// Helpers shared by the colocated tests. Never exported from the package barrel.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

/** A fresh temp directory; `cleanup` removes it. */
export async function makeTempDir(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'airelays-file-inliner-'))
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) }
}

/** Every path under `dir` (files and directories), relative to `dir`, sorted; `/` separated. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = []
  async function walk(current: string): Promise<void> {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name)
      const rel = relative(dir, full).split('\\').join('/')
      out.push(entry.isDirectory() ? `${rel}/` : rel)
      if (entry.isDirectory()) await walk(full)
    }
  }
  await walk(dir)
  return out.sort()
}

/** Permission bits of a path. */
export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

/** Collects a stream or async iterable of bytes into one Buffer. */
export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

/** An async generator yielding `total` bytes of `fill` in chunks of `chunkSize`. */
export async function* chunks(total: number, chunkSize: number, fill = 0x61): AsyncGenerator<Uint8Array> {
  let sent = 0
  while (sent < total) {
    const size = Math.min(chunkSize, total - sent)
    sent += size
    yield Buffer.alloc(size, fill)
  }
}

/** Minimal valid-looking headers of the supported image formats (magic bytes + padding). */
export const IMAGES: Readonly<Record<'png' | 'jpeg' | 'gif' | 'webp', Buffer>> = {
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 1)]),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(24, 2)]),
  gif: Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(24, 3)]),
  webp: Buffer.concat([
    Buffer.from('RIFF', 'latin1'),
    Buffer.from([0x20, 0, 0, 0]),
    Buffer.from('WEBPVP8 ', 'latin1'),
    Buffer.alloc(16, 4),
  ]),
}

export const PDF: Buffer = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1')

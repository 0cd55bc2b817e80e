import { createHash } from 'node:crypto'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collect, IMAGES, listTree, makeTempDir, modeOf } from './_test-helpers'
import { createFileStore, type FileObject } from './index'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const ORPHAN = `file_${'ab'.repeat(16)}`

let root: string
let cleanup: () => Promise<void>
let dataDir: string
let uploads: string

beforeEach(async () => {
  ;({ root, cleanup } = await makeTempDir())
  dataDir = join(root, 'data')
  uploads = join(dataDir, 'uploads')
})
afterEach(async () => {
  await cleanup()
})

async function seed(): Promise<{ text: FileObject; image: FileObject }> {
  const store = createFileStore({ dataDir, clock: () => 1_700_000_000_000 })
  const text = await store.create(Buffer.from('hello world\n'), {
    filename: 'hello.txt',
    purpose: 'user_data',
  })
  const image = await store.create(IMAGES.png, { filename: 'pixel.png' })
  return { text, image }
}

describe('crash recovery on open', () => {
  it('removes a stale staging file, a half-written index temp file and an orphan blob', async () => {
    const { text, image } = await seed()
    // The state a crash leaves behind: an upload still being staged, an index rewrite that never
    // got renamed, and a blob that was renamed into uploads/ but never made it into the index.
    await writeFile(join(dataDir, 'tmp', 'airelays-upload-0123456789abcdef.part'), Buffer.alloc(5000, 1))
    await writeFile(join(uploads, 'index.json.deadbeefdeadbeef.tmp'), '{"version":1,"files":[{"id":"fi')
    await writeFile(join(uploads, 'index.json.bak.0011223344556677.tmp'), '')
    await writeFile(join(uploads, ORPHAN), 'bytes whose index update never happened')

    const store = createFileStore({ dataDir })
    expect(await store.open()).toEqual({
      index: 'loaded',
      fileCount: 2,
      totalBytes: text.bytes + image.bytes,
      orphansRemoved: 1,
      entriesDropped: 0,
      tmpRemoved: 3,
    })
    expect(await listTree(dataDir)).toEqual(
      [
        'tmp/',
        'uploads/',
        'uploads/index.json',
        'uploads/index.json.bak',
        `uploads/${text.id}`,
        `uploads/${image.id}`,
      ].sort(),
    )
    expect(await store.get(text.id)).toEqual(text)
    expect(await collect((await store.openContent(image.id)).stream)).toEqual(IMAGES.png)
  })

  it('falls back to index.json.bak when index.json is corrupt', async () => {
    const { text, image } = await seed()
    await writeFile(join(uploads, 'index.json'), '{"version":1,"files":[{"id":"file_') // torn write
    const store = createFileStore({ dataDir })
    expect(await store.open()).toMatchObject({ index: 'backup', fileCount: 2, orphansRemoved: 0 })
    expect(await store.get(text.id)).toEqual(text)
    expect(await store.get(image.id)).toEqual(image)
    // The primary is rewritten from the recovered state.
    const rewritten = JSON.parse(await readFile(join(uploads, 'index.json'), 'utf8'))
    expect(rewritten.files.map((f: { id: string }) => f.id)).toEqual([text.id, image.id])
    expect(await modeOf(join(uploads, 'index.json'))).toBe(0o600)
  })

  it('falls back to the backup when index.json is missing or has the wrong shape', async () => {
    const { text } = await seed()
    await writeFile(join(uploads, 'index.json'), '[1,2,3]')
    expect(await createFileStore({ dataDir }).open()).toMatchObject({ index: 'backup', fileCount: 2 })
    await rm(join(uploads, 'index.json'))
    const store = createFileStore({ dataDir })
    expect(await store.open()).toMatchObject({ index: 'backup', fileCount: 2 })
    expect(await store.get(text.id)).toEqual(text)
  })

  it('rebuilds the index from the blobs when neither index.json nor the backup is usable', async () => {
    const { text, image } = await seed()
    await writeFile(join(uploads, 'index.json'), 'garbage')
    await writeFile(join(uploads, 'index.json.bak'), '')
    const store = createFileStore({ dataDir })
    expect(await store.open()).toMatchObject({ index: 'rebuilt', fileCount: 2, orphansRemoved: 0 })
    const recovered = await store.get(text.id)
    expect(recovered).toMatchObject({
      id: text.id,
      bytes: text.bytes,
      sha256: text.sha256,
      content_type: 'text/plain',
      filename: 'upload.bin',
      purpose: 'assistants',
    })
    expect(await store.get(image.id)).toMatchObject({ sha256: sha256(IMAGES.png), content_type: 'image/png' })
    expect(await store.usage()).toEqual({ file_count: 2, total_bytes: text.bytes + image.bytes })
  })

  it('drops entries whose blob is missing or damaged, and entries that are malformed', async () => {
    const { text, image } = await seed()
    const index = JSON.parse(await readFile(join(uploads, 'index.json'), 'utf8'))
    index.files.push(
      { ...index.files[0], id: `file_${'cd'.repeat(16)}` }, // no blob
      { ...index.files[0], id: '../../outside' }, // traversal id: never used as a path
      { ...index.files[0], id: `file_${'ef'.repeat(16)}`, sha256: 'nope' }, // malformed
      { ...index.files[0] }, // duplicate id
      'not an object',
    )
    await writeFile(join(uploads, 'index.json'), JSON.stringify(index))
    await writeFile(join(uploads, image.id), 'truncated') // size no longer matches the entry
    await writeFile(join(root, 'outside'), 'must survive')

    const store = createFileStore({ dataDir })
    expect(await store.open()).toMatchObject({
      index: 'loaded',
      fileCount: 1,
      entriesDropped: 6,
      orphansRemoved: 1,
    })
    expect((await store.list()).map((f) => f.id)).toEqual([text.id])
    expect(await listTree(uploads)).toEqual(['index.json', 'index.json.bak', text.id].sort())
    expect(await readFile(join(root, 'outside'), 'utf8')).toBe('must survive')
  })

  it('adopts blobs when there is no index at all (for example uploads left by the Python relay)', async () => {
    await mkdir(uploads, { recursive: true })
    const legacy = `file_${'0f'.repeat(16)}`
    await writeFile(join(uploads, legacy), IMAGES.jpeg, { mode: 0o644 })
    await writeFile(join(dataDir, 'state.sqlite3'), 'SQLite format 3\u0000') // present, never read
    const store = createFileStore({ dataDir })
    expect(await store.open()).toMatchObject({ index: 'rebuilt', fileCount: 1 })
    expect(await store.get(legacy)).toMatchObject({ content_type: 'image/jpeg', filename: 'upload.bin' })
    expect(await modeOf(join(uploads, legacy))).toBe(0o600)
    expect(await modeOf(uploads)).toBe(0o700)
  })

  it('a fresh data directory opens as created and leaves foreign files alone', async () => {
    await mkdir(join(dataDir, 'tmp'), { recursive: true })
    await writeFile(join(dataDir, 'tmp', 'someone-elses-file'), 'x')
    await writeFile(join(dataDir, 'auth.json'), '{}')
    await chmod(dataDir, 0o755)
    const store = createFileStore({ dataDir })
    expect(await store.open()).toEqual({
      index: 'created',
      fileCount: 0,
      totalBytes: 0,
      orphansRemoved: 0,
      entriesDropped: 0,
      tmpRemoved: 0,
    })
    expect(await listTree(dataDir)).toEqual(
      [
        'auth.json',
        'tmp/',
        'tmp/someone-elses-file',
        'uploads/',
        'uploads/index.json',
        'uploads/index.json.bak',
      ].sort(),
    )
  })

  it('open() is idempotent and every method waits for it', async () => {
    const { text } = await seed()
    await writeFile(join(uploads, ORPHAN), 'orphan')
    const store = createFileStore({ dataDir })
    const [listed, report, again] = await Promise.all([store.list(), store.open(), store.open()])
    expect(report).toBe(again)
    expect(report.orphansRemoved).toBe(1)
    expect(listed.map((f) => f.id)).toContain(text.id)
  })

  it('a store never sees a half-written entry: the index on disk is always complete JSON', async () => {
    const store = createFileStore({ dataDir })
    const uploadsDone = Promise.all(
      Array.from({ length: 10 }, (_, i) => store.create(Buffer.from(`file ${i}`), { filename: `${i}.txt` })),
    )
    // Read the index repeatedly while the uploads commit: each read parses.
    const reads: number[] = []
    let finished = false
    void uploadsDone.then(() => {
      finished = true
    })
    while (!finished) {
      const text = await readFile(join(uploads, 'index.json'), 'utf8').catch(() => null)
      if (text !== null) reads.push(JSON.parse(text).files.length)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await uploadsDone
    expect(reads.every((n, i) => i === 0 || n >= reads[i - 1]!)).toBe(true)
    const reopened = createFileStore({ dataDir })
    expect((await reopened.open()).fileCount).toBe(10)
  })
})

import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { chunks, collect, IMAGES, listTree, makeTempDir, modeOf } from './_test-helpers'
import { createFileStore, type FileStore, isFileInlinerError } from './index'

const FILE_ID = /^file_[0-9a-f]{32}$/
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let root: string
let cleanup: () => Promise<void>
let dataDir: string

beforeEach(async () => {
  ;({ root, cleanup } = await makeTempDir())
  dataDir = join(root, 'data')
})
afterEach(async () => {
  await cleanup()
})

/** Sum of the sizes of the regular files in a directory. */
function bytesIn(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const info = statSync(join(dir, name), { throwIfNoEntry: false })
    if (info?.isFile()) total += info.size
  }
  return total
}

function blobBytes(store: FileStore): number {
  let total = 0
  for (const name of readdirSync(store.uploadsDir)) {
    if (FILE_ID.test(name)) total += statSync(join(store.uploadsDir, name)).size
  }
  return total
}

describe('createFileStore: basics', () => {
  it('stores bytes, returns the OpenAI file object and serves them back', async () => {
    const clock = vi.fn(() => 1_767_225_600_900)
    const store = createFileStore({ dataDir, clock })
    const body = Buffer.from('# Notes\n\nhello\n')
    const file = await store.create(chunks(body.length, 4, 0), {
      filename: 'notes.md',
      purpose: 'user_data',
      contentType: 'text/markdown',
    })
    expect(file).toEqual({
      id: expect.stringMatching(FILE_ID),
      object: 'file',
      bytes: body.length,
      created_at: 1_767_225_600,
      filename: 'notes.md',
      purpose: 'user_data',
      status: 'processed',
      content_type: 'text/markdown',
      sha256: sha256(Buffer.alloc(body.length, 0)),
    })
    expect(await readFile(join(dataDir, 'uploads', file.id))).toEqual(Buffer.alloc(body.length, 0))
    expect(await store.get(file.id)).toEqual(file)
    expect(await store.list()).toEqual([file])
    expect(await store.usage()).toEqual({ file_count: 1, total_bytes: body.length })

    const content = await store.openContent(file.id)
    expect(content.object).toEqual(file)
    expect(content.contentType).toBe('text/markdown')
    expect(await collect(content.stream)).toEqual(Buffer.alloc(body.length, 0))
  })

  it('applies the defaults: upload.bin, assistants, application/octet-stream', async () => {
    const store = createFileStore({ dataDir })
    const file = await store.create(Buffer.from([1, 2, 3]))
    expect(file).toMatchObject({
      filename: 'upload.bin',
      purpose: 'assistants',
      content_type: 'application/octet-stream',
    })
    const odd = await store.create(Buffer.from([1]), { filename: '  ', purpose: '', contentType: 'nonsense' })
    expect(odd).toMatchObject({
      filename: 'upload.bin',
      purpose: 'assistants',
      content_type: 'application/octet-stream',
    })
  })

  it('stores the effective content type: sniffed images, text by extension, normalised declared types', async () => {
    const store = createFileStore({ dataDir })
    const png = await store.create(IMAGES.png, { filename: 'pic.txt', contentType: 'text/plain' })
    expect(png.content_type).toBe('image/png')
    const md = await store.create(Buffer.from('# hi'), {
      filename: 'a.md',
      contentType: 'application/octet-stream',
    })
    expect(md.content_type).toBe('text/markdown')
    const declared = await store.create(Buffer.from('x'), { contentType: 'Text/Plain; charset=UTF-8' })
    expect(declared.content_type).toBe('text/plain')
  })

  it('checks the whole file, not just the head, before calling an extension-only file text', async () => {
    const store = createFileStore({ dataDir })
    const body = Buffer.concat([Buffer.alloc(20_000, 0x61), Buffer.from([0xff, 0xfe])])
    const empty = await store.create(chunks(0, 1), { filename: 'empty.txt' })
    expect(empty.content_type).toBe('text/plain')
    const late = await store.create(Readable.from([body.subarray(0, 10_000), body.subarray(10_000)]), {
      filename: 'late-binary.txt',
    })
    expect(late.content_type).toBe('application/octet-stream')
    const nul = await store.create(Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0])]), {
      filename: 'nul.txt',
    })
    expect(nul.content_type).toBe('application/octet-stream')
  })

  it('accepts Node Readables, WHATWG ReadableStreams, async generators, buffers and string chunks', async () => {
    const store = createFileStore({ dataDir })
    const expected = Buffer.from('0123456789'.repeat(1000))
    const sources = [
      Readable.from([expected.subarray(0, 3000), expected.subarray(3000)]),
      new Blob([expected]).stream(),
      chunks(expected.length, 777, 0x30),
      expected,
    ]
    for (const source of sources) {
      const file = await store.create(source)
      expect(file.bytes).toBe(expected.length)
    }
    const text = Readable.from(['héllo ', 'wörld'])
    const fromStrings = await store.create(text, { filename: 's.txt' })
    expect(await collect((await store.openContent(fromStrings.id)).stream)).toEqual(
      Buffer.from('héllo wörld'),
    )
  })

  it('creates directories 0700 and files 0600', async () => {
    const store = createFileStore({ dataDir })
    const file = await store.create(Buffer.from('secret'))
    expect(await modeOf(join(dataDir, 'uploads'))).toBe(0o700)
    expect(await modeOf(join(dataDir, 'tmp'))).toBe(0o700)
    expect(await modeOf(join(dataDir, 'uploads', file.id))).toBe(0o600)
    expect(await modeOf(join(dataDir, 'uploads', 'index.json'))).toBe(0o600)
    expect(await modeOf(join(dataDir, 'uploads', 'index.json.bak'))).toBe(0o600)
  })

  it('lists newest first', async () => {
    let now = 1_000_000
    const store = createFileStore({ dataDir, clock: () => now })
    const a = await store.create(Buffer.from('a'))
    now += 5_000
    const b = await store.create(Buffer.from('b'))
    const c = await store.create(Buffer.from('c')) // same second as b: later upload first
    expect((await store.list()).map((f) => f.id)).toEqual([c.id, b.id, a.id])
  })

  it('survives a restart: metadata, bytes and usage come back', async () => {
    const first = createFileStore({ dataDir, clock: () => 1_700_000_000_000 })
    const a = await first.create(Buffer.from('alpha'), { filename: 'a.txt' })
    const b = await first.create(IMAGES.gif, { filename: 'b.gif' })
    await first.delete(a.id)
    const c = await first.create(Buffer.from('gamma'), { filename: 'c.txt', purpose: 'vision' })

    const second = createFileStore({ dataDir })
    expect(await second.open()).toMatchObject({
      index: 'loaded',
      fileCount: 2,
      orphansRemoved: 0,
      entriesDropped: 0,
    })
    expect(await second.list()).toEqual(await first.list())
    expect(await second.get(c.id)).toEqual(c)
    expect(await collect((await second.openContent(b.id)).stream)).toEqual(IMAGES.gif)
    expect(await second.usage()).toEqual({ file_count: 2, total_bytes: IMAGES.gif.length + 5 })
    await expect(second.get(a.id)).rejects.toMatchObject({ code: 'file_not_found', status: 404 })
  })

  it('delete removes the bytes and the entry, frees quota, and 404s afterwards', async () => {
    const store = createFileStore({ dataDir, maxTotalUploadBytes: 1000 })
    const file = await store.create(Buffer.alloc(800))
    await expect(store.create(Buffer.alloc(300))).rejects.toMatchObject({ code: 'upload_quota_exceeded' })
    expect(await store.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true })
    expect(await listTree(join(dataDir, 'uploads'))).toEqual(['index.json', 'index.json.bak'])
    expect(await store.usage()).toEqual({ file_count: 0, total_bytes: 0 })
    const again = await store.create(Buffer.alloc(1000))
    expect(again.bytes).toBe(1000)
    await expect(store.delete(file.id)).rejects.toMatchObject({
      code: 'file_not_found',
      status: 404,
      message: `Unknown file id \`${file.id}\`.`,
    })
    await expect(store.openContent(file.id)).rejects.toMatchObject({ code: 'file_not_found' })
  })

  it('an upload of exactly the limits is accepted; an empty upload is fine', async () => {
    const store = createFileStore({ dataDir, maxUploadBytes: 10, maxTotalUploadBytes: 10 })
    expect((await store.create(chunks(10, 3))).bytes).toBe(10)
    expect((await store.create(Buffer.alloc(0))).bytes).toBe(0)
  })

  it('openContent of a blob removed behind its back is a 404 and heals the index', async () => {
    const store = createFileStore({ dataDir })
    const file = await store.create(Buffer.from('x'))
    const { rm } = await import('node:fs/promises')
    await rm(join(store.uploadsDir, file.id))
    await expect(store.openContent(file.id)).rejects.toMatchObject({ code: 'file_not_found', status: 404 })
    expect(await store.list()).toEqual([])
    expect(await store.usage()).toEqual({ file_count: 0, total_bytes: 0 })
  })

  it('rejects bad options with invalid_option', () => {
    expect(() => createFileStore({ dataDir: '' })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    )
    expect(() => createFileStore({ dataDir, maxUploadBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    )
    expect(() => createFileStore({ dataDir, maxTotalUploadBytes: 1.5 })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    )
    expect(createFileStore({ dataDir })).toMatchObject({
      maxUploadBytes: 33_554_432,
      maxTotalUploadBytes: 268_435_456,
    })
  })

  it('reports a storage_error when the data directory cannot be created, and retries later', async () => {
    await writeFile(join(root, 'blocker'), 'a file where a directory should be')
    const store = createFileStore({ dataDir: join(root, 'blocker', 'data') })
    const error = await store.create(Buffer.from('x')).catch((e: unknown) => e)
    expect(isFileInlinerError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'storage_error', status: 500 })
    expect((error as Error).message).toBe('AIRelays could not access its upload store (ENOTDIR).')
    expect((error as Error).message).not.toContain(root) // no paths in client-facing messages
    // Once the obstacle is gone, the same store opens on the next call.
    const { rm } = await import('node:fs/promises')
    await rm(join(root, 'blocker'))
    expect((await store.create(Buffer.from('x'))).bytes).toBe(1)
  })
})

describe('createFileStore: limits while streaming', () => {
  it('rejects an endless chunked upload as soon as it crosses the limit, without draining it', async () => {
    const limit = 1_000_000
    const chunkSize = 64 * 1024
    let pulled = 0
    let closed = false
    async function* forever(): AsyncGenerator<Uint8Array> {
      try {
        const chunk = Buffer.alloc(chunkSize, 0x61)
        for (;;) {
          pulled += chunk.length
          yield chunk
        }
      } finally {
        closed = true
      }
    }
    const store = createFileStore({ dataDir, maxUploadBytes: limit })
    await store.open()
    const before = await listTree(dataDir)
    const error = await store.create(forever(), { filename: 'big.bin' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'upload_too_large',
      status: 413,
      message: 'Uploaded file exceeds the configured AIRelays upload limit of 1000000 bytes.',
      param: null,
    })
    expect(pulled).toBeGreaterThan(limit)
    expect(pulled).toBeLessThanOrEqual(limit + chunkSize)
    await vi.waitFor(() => expect(closed).toBe(true))
    expect(await listTree(dataDir)).toEqual(before)
    expect(await store.usage()).toEqual({ file_count: 0, total_bytes: 0 })
  })

  it('stops reading a Node Readable over the limit and leaves it to its owner (not drained, not destroyed)', async () => {
    let pushed = 0
    const source = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        pushed += 16 * 1024
        this.push(Buffer.alloc(16 * 1024, 0x62))
      },
    })
    const store = createFileStore({ dataDir, maxUploadBytes: 100_000 })
    await expect(store.create(source)).rejects.toMatchObject({ code: 'upload_too_large' })
    await new Promise((resolve) => setImmediate(resolve))
    const pushedAfterReject = pushed
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(pushed).toBe(pushedAfterReject)
    expect(pushed).toBeLessThanOrEqual(100_000 + 3 * 16 * 1024)
    expect(source.destroyed).toBe(false)
    source.destroy(new Error('owner closes it')) // a late error on the abandoned stream must not crash
    expect(await listTree(join(dataDir, 'tmp'))).toEqual([])
  })

  it('20 concurrent uploads can never together exceed the total quota', async () => {
    const quota = 1024 * 1024
    const store = createFileStore({ dataDir, maxUploadBytes: quota, maxTotalUploadBytes: quota })
    await store.open()
    const count = 20
    let arrived = 0
    let failed = 0
    let maxStored = 0
    let openBarrier: () => void = () => undefined
    const barrier = new Promise<void>((resolve) => {
      openBarrier = resolve
    })
    let allSettledAtBarrier: () => void = () => undefined
    const everyoneAtBarrier = new Promise<void>((resolve) => {
      allSettledAtBarrier = resolve
    })
    const check = (): void => {
      if (arrived + failed === count) allSettledAtBarrier()
    }
    async function* lockstep(total: number): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks(total, 16 * 1024)) {
        maxStored = Math.max(maxStored, blobBytes(store))
        await new Promise((resolve) => setImmediate(resolve))
        yield chunk
      }
      // Every byte of this upload has been received; hold it open until all others sent or failed.
      arrived++
      check()
      await barrier
    }
    const sizes = Array.from({ length: count }, (_, i) => 150 * 1024 + i * 1024)
    const uploads = sizes.map((size, i) =>
      store.create(lockstep(size), { filename: `f${i}` }).catch((error: unknown) => {
        failed++
        check()
        throw error
      }),
    )
    for (const upload of uploads) upload.catch(() => undefined) // inspected below
    await everyoneAtBarrier
    // Every surviving upload is fully received and staged; the failed ones are cleaned up.
    // Staged bytes must fit in the quota: reservations were taken as the bytes arrived.
    expect(arrived).toBeGreaterThan(0)
    expect(failed).toBeGreaterThan(0)
    expect(bytesIn(join(dataDir, 'tmp'))).toBeLessThanOrEqual(quota)
    openBarrier()

    const results = await Promise.allSettled(uploads)
    const stored = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    expect(stored.length).toBe(arrived)
    expect(rejected.length).toBe(failed)
    for (const reason of rejected) {
      expect(reason).toMatchObject({
        code: 'upload_quota_exceeded',
        status: 413,
        message: `Stored uploads would exceed the configured AIRelays upload quota of ${quota} bytes.`,
      })
    }
    const storedTotal = stored.reduce((sum, f) => sum + f.bytes, 0)
    expect(storedTotal).toBeLessThanOrEqual(quota)
    expect(maxStored).toBeLessThanOrEqual(quota)
    expect(await store.usage()).toEqual({ file_count: stored.length, total_bytes: storedTotal })
    // The rejected uploads left nothing: only the stored blobs and the index remain.
    expect(await listTree(join(dataDir, 'uploads'))).toEqual(
      ['index.json', 'index.json.bak', ...stored.map((f) => f.id)].sort(),
    )
    expect(await listTree(join(dataDir, 'tmp'))).toEqual([])
    expect(blobBytes(store)).toBe(storedTotal)
  })

  it('per-file limit wins over the quota when both are crossed', async () => {
    const store = createFileStore({ dataDir, maxUploadBytes: 10, maxTotalUploadBytes: 5 })
    await expect(store.create(Buffer.alloc(11))).rejects.toMatchObject({ code: 'upload_too_large' })
    await expect(store.create(Buffer.alloc(6))).rejects.toMatchObject({ code: 'upload_quota_exceeded' })
  })

  it('the quota leaves existing files untouched', async () => {
    const store = createFileStore({ dataDir, maxTotalUploadBytes: 100 })
    const kept = await store.create(Buffer.alloc(90, 7))
    await expect(store.create(chunks(50, 5))).rejects.toMatchObject({ code: 'upload_quota_exceeded' })
    expect(await store.list()).toEqual([kept])
    expect(await readFile(join(store.uploadsDir, kept.id))).toEqual(Buffer.alloc(90, 7))
  })
})

describe('createFileStore: aborts and source failures', () => {
  it('abort mid-upload removes the partial file and releases the reservation', async () => {
    const quota = 100 * 1024
    const store = createFileStore({ dataDir, maxTotalUploadBytes: quota })
    await store.open()
    const controller = new AbortController()
    let release: () => void = () => undefined
    const hang = new Promise<void>((resolve) => {
      release = resolve
    })
    let secondPull: () => void = () => undefined
    const secondPullStarted = new Promise<void>((resolve) => {
      secondPull = resolve
    })
    async function* stalled(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(64 * 1024, 1)
      secondPull()
      await hang // a client that stops sending
      yield Buffer.alloc(64 * 1024, 1)
    }
    const upload = store.create(stalled(), { signal: controller.signal })
    await secondPullStarted
    expect(bytesIn(join(dataDir, 'tmp'))).toBe(64 * 1024)
    // While the stalled upload holds 64 KiB, a 64 KiB upload does not fit.
    await expect(store.create(Buffer.alloc(64 * 1024))).rejects.toMatchObject({
      code: 'upload_quota_exceeded',
    })
    controller.abort()
    await expect(upload).rejects.toMatchObject({
      code: 'upload_aborted',
      status: 499,
      message: 'The upload was aborted before it completed.',
    })
    release()
    expect(await listTree(join(dataDir, 'tmp'))).toEqual([])
    expect(await store.usage()).toEqual({ file_count: 0, total_bytes: 0 })
    // The reservation is gone: the full quota is available again.
    expect((await store.create(Buffer.alloc(quota))).bytes).toBe(quota)
  })

  it('an already aborted signal rejects without reading the source', async () => {
    const store = createFileStore({ dataDir })
    let started = false
    async function* source(): AsyncGenerator<Uint8Array> {
      started = true
      yield Buffer.from('x')
    }
    await expect(store.create(source(), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'upload_aborted',
    })
    expect(started).toBe(false)
  })

  it('a source that fails mid-way gives upload_source_error and leaves nothing behind', async () => {
    const store = createFileStore({ dataDir })
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000)
      throw new Error('connection reset')
    }
    const error = await store.create(broken()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'upload_source_error', status: 400 })
    expect((error as Error).cause).toMatchObject({ message: 'connection reset' })

    const stream = new Readable({ read() {} })
    stream.push(Buffer.alloc(10))
    setImmediate(() => stream.destroy(new Error('socket hang up')))
    await expect(store.create(stream)).rejects.toMatchObject({ code: 'upload_source_error' })

    const web = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new TypeError('terminated'))
      },
    })
    await expect(store.create(web)).rejects.toMatchObject({ code: 'upload_source_error' })
    expect(await listTree(join(dataDir, 'tmp'))).toEqual([])
    expect(await store.usage()).toEqual({ file_count: 0, total_bytes: 0 })
  })

  it('a Readable closed before its end is a source error, not a short file', async () => {
    const store = createFileStore({ dataDir })
    const stream = new Readable({ read() {} })
    stream.push(Buffer.alloc(10))
    setImmediate(() => stream.destroy())
    await expect(store.create(stream)).rejects.toMatchObject({ code: 'upload_source_error' })
    expect(await store.list()).toEqual([])
  })

  it('a source yielding something other than bytes is a programming error', async () => {
    const store = createFileStore({ dataDir })
    async function* wrong(): AsyncGenerator<unknown> {
      yield { not: 'bytes' }
    }
    await expect(store.create(wrong() as AsyncIterable<Uint8Array>)).rejects.toMatchObject({
      code: 'invalid_option',
    })
    await expect(store.create(42 as unknown as Uint8Array)).rejects.toMatchObject({ code: 'invalid_option' })
    expect(await listTree(join(dataDir, 'tmp'))).toEqual([])
  })
})

describe('createFileStore: reserve() for bytes staged outside the store (issue 26, item 9)', () => {
  it('staged bytes count against the per-file limit and the total quota, and come back on release', async () => {
    const { root, cleanup } = await makeTempDir()
    try {
      const store = createFileStore({ dataDir: root, maxUploadBytes: 100, maxTotalUploadBytes: 150 })
      const spool = await store.reserve()
      spool.grow(60)
      spool.grow(40)
      expect(spool.bytes).toBe(100)
      expect(() => spool.grow(1)).toThrow(expect.objectContaining({ code: 'upload_too_large', status: 413 }))
      // 100 staged bytes leave 50 of the quota for everyone else.
      await expect(store.create(Buffer.alloc(51))).rejects.toMatchObject({ code: 'upload_quota_exceeded' })
      const other = await store.reserve()
      expect(() => other.grow(51)).toThrow(expect.objectContaining({ code: 'upload_quota_exceeded' }))
      spool.release()
      spool.release()
      expect(spool.bytes).toBe(0)
      await expect(store.create(Buffer.alloc(100))).resolves.toMatchObject({ bytes: 100 })
    } finally {
      await cleanup()
    }
  })
})

import { readdir } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { eventually } from '@airelays/test-utils'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RelayHarness, startRelay } from './_setup'

let h: RelayHarness
beforeAll(async () => {
  h = await startRelay({
    env: {
      AIRELAYS_MAX_UPLOAD_BYTES: '4096',
      AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: '10000',
      AIRELAYS_RATE_LIMIT_BURST: '100000',
      AIRELAYS_RATE_LIMIT_PER_MINUTE: '100000',
    },
  })
})
afterAll(() => h?.close())
beforeEach(async () => {
  const list = (await (await h.fetch('/v1/files')).json()) as { data: { id: string }[] }
  for (const file of list.data) await h.fetch(`/v1/files/${file.id}`, { method: 'DELETE' })
})

type FileObject = { id: string; filename: string; purpose: string; bytes: number; content_type: string }
type Envelope = { error: { message: string; type: string; param: string | null; code: string | null } }

function form(parts: [string, string | Blob, string?][]): FormData {
  const data = new FormData()
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') data.append(name, value)
    else data.append(name, value, filename)
  }
  return data
}

const upload = (
  body: FormData | string,
  query = '',
  headers: Record<string, string> = {},
): Promise<Response> => h.fetch(`/v1/files${query}`, { method: 'POST', body, headers })

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch {
    return []
  }
}

describe('uploads', () => {
  it('takes purpose from the query string, else a purpose field (before or after the file), else assistants', async () => {
    const blob = (): Blob => new Blob(['a,b\n1,2\n'], { type: 'text/csv' })
    const fromQuery = (await (
      await upload(form([['file', blob(), 'a.csv']]), '?purpose=batch')
    ).json()) as FileObject
    expect(fromQuery.purpose).toBe('batch')
    const before = (await (
      await upload(
        form([
          ['purpose', 'vision'],
          ['file', blob(), 'b.csv'],
        ]),
      )
    ).json()) as FileObject
    expect(before.purpose).toBe('vision')
    const after = (await (
      await upload(
        form([
          ['file', blob(), 'c.csv'],
          ['purpose', 'user_data'],
        ]),
      )
    ).json()) as FileObject
    expect(after.purpose).toBe('user_data')
    const none = (await (await upload(form([['file', blob(), 'd.csv']]))).json()) as FileObject
    expect(none.purpose).toBe('assistants')
    expect(none.content_type).toBe('text/csv')
    expect(await listDir(h.config.paths.tmp_dir)).toEqual([])
  })

  it('413 for a file over max_upload_bytes, also without Content-Length; nothing kept, nothing logged', async () => {
    const big = new Blob([new Uint8Array(5000).fill(65)], { type: 'text/plain' })
    const res = await upload(form([['file', big, 'big.txt']]))
    expect(res.status).toBe(413)
    const body = (await res.json()) as Envelope
    expect(body.error.message).toBe(
      'Uploaded file exceeds the configured AIRelays upload limit of 4096 bytes.',
    )

    const spooled = await upload(
      form([
        ['file', big, 'big.txt'],
        ['purpose', 'later'],
      ]),
    )
    expect(spooled.status).toBe(413)

    const boundary = 'xBOUNDARYx'
    const payload = [
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      'x'.repeat(6000),
      `\r\n--${boundary}--\r\n`,
    ]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = payload.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    const chunked = await h.fetch('/v1/files', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)

    const list = (await (await h.fetch('/v1/files')).json()) as { data: unknown[] }
    expect(list.data).toHaveLength(0)
    expect(await listDir(h.config.paths.tmp_dir)).toEqual([])
    const records = await h.logRecords()
    expect(
      records.some(
        (r) =>
          r.phase === 'inbound_request' &&
          r.method === 'POST' &&
          r.path === '/v1/files' &&
          (r.body as { kind: string }).kind !== 'multipart_upload',
      ),
    ).toBe(false)
  })

  it('413 when the total quota would be exceeded; existing files are untouched', async () => {
    const chunk = (): Blob => new Blob([new Uint8Array(4000).fill(66)], { type: 'application/octet-stream' })
    expect((await upload(form([['file', chunk(), '1.bin']]))).status).toBe(200)
    expect((await upload(form([['file', chunk(), '2.bin']]))).status).toBe(200)
    const third = await upload(form([['file', chunk(), '3.bin']]))
    expect(third.status).toBe(413)
    expect(((await third.json()) as Envelope).error.message).toBe(
      'Stored uploads would exceed the configured AIRelays upload quota of 10000 bytes.',
    )
    const list = (await (await h.fetch('/v1/files')).json()) as { data: FileObject[] }
    expect(list.data.map((f) => f.filename).sort()).toEqual(['1.bin', '2.bin'])
  })

  it('stores hostile filenames as opaque labels only', async () => {
    for (const name of ['../../escape.txt', '..\\win.txt', '/etc/passwd', '.htaccess', 'a'.repeat(4096)]) {
      const res = await upload(form([['file', new Blob(['x'], { type: 'text/plain' }), name]]))
      expect(res.status).toBe(200)
      const file = (await res.json()) as FileObject
      expect(file.filename).not.toContain('/')
    }
    const stored = await listDir(join(h.dataDir, 'uploads'))
    expect(
      stored.filter((entry) => entry.startsWith('file_')).every((entry) => /^file_[0-9a-f]{32}$/.test(entry)),
    ).toBe(true)
    expect(await listDir(join(h.dataDir, '..', 'escape.txt'))).toEqual([])
  })

  it('404 for malformed or unknown file ids', async () => {
    for (const id of [
      '..%2Fstate.json',
      'file_%2e%2e',
      `file_${'a'.repeat(31)}`,
      `file_${'a'.repeat(33)}`,
      `file_${'0'.repeat(32)}`,
    ]) {
      for (const suffix of ['', '/content']) {
        const res = await h.fetch(`/v1/files/${id}${suffix}`)
        expect(res.status).toBe(404)
        expect(((await res.json()) as Envelope).error.code).toBe('file_not_found')
      }
    }
  })

  it('refuses multipart bombs: too many fields, too many parts, huge field names', async () => {
    const manyFields = form(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'v'] as [string, string]))
    manyFields.append('file', new Blob(['x']), 'x.txt')
    expect((await upload(manyFields)).status).toBe(400)

    const manyFiles = new FormData()
    for (let i = 0; i < 50; i++) manyFiles.append('file', new Blob(['x']), `${i}.txt`)
    expect((await upload(manyFiles)).status).toBe(400)

    const hugeName = new FormData()
    hugeName.append('x'.repeat(1024 * 1024), 'v')
    hugeName.append('file', new Blob(['x']), 'x.txt')
    expect([400, 413]).toContain((await upload(hugeName)).status)

    expect((await upload('not multipart', '', { 'content-type': 'text/plain' })).status).toBe(400)
    expect((await upload(form([['purpose', 'x']]))).status).toBe(400)
    expect(await listDir(h.config.paths.tmp_dir)).toEqual([])
  })

  it('a client that aborts mid-upload leaves no file and no quota use', async () => {
    const url = new URL(h.relay.url)
    const boundary = 'abortBOUNDARY'
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: '/v1/files',
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'transfer-encoding': 'chunked',
        },
      })
      req.on('error', () => resolve())
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${'y'.repeat(1000)}`,
      )
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 150)
    })
    await eventually(async () => (await listDir(h.config.paths.tmp_dir)).length === 0)
    const status = (await (await h.fetch('/v1/relay/status')).json()) as {
      storage: { file_count: number; total_bytes: number }
    }
    expect(status.storage).toMatchObject({ file_count: 0, total_bytes: 0 })
    // the quota is intact: a full-size upload still fits twice
    const chunk = (): Blob => new Blob([new Uint8Array(4000)], { type: 'application/octet-stream' })
    expect((await upload(form([['file', chunk(), 'a.bin']]))).status).toBe(200)
    expect((await upload(form([['file', chunk(), 'b.bin']]))).status).toBe(200)
  })

  it('serves content with the stored type, nosniff and attachment', async () => {
    const file = (await (
      await upload(form([['file', new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), 'x.html']]))
    ).json()) as FileObject
    const res = await h.fetch(`/v1/files/${file.id}/content`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(file.content_type)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="x.html"; filename*=UTF-8''x.html`,
    )
    expect(await res.text()).toBe('<script>alert(1)</script>')
  })
})

// B11 group U — uploads: limits while streaming, lying lengths, quota, hostile names and ids,
// multipart bombs, download headers, aborted uploads.
import { createHash, randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { closeAll, eventually, sleep, walkFiles } from '@airelays/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { isEnvelope, JSON_HEADERS, type RelayHarness, startRelay } from './_harness'
import { frameRequest, openSocket, parseResponse, rawRequest } from './_raw-http'

afterEach(closeAll)

const MiB = 1024 * 1024
const BOUNDARY = 'b11-upload-boundary'

function multipart(
  parts: { name: string; filename?: string; type?: string; data: Buffer | string; rawDisposition?: string }[],
): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition =
      part.rawDisposition ??
      `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\ncontent-disposition: ${disposition}\r\n${part.type ? `content-type: ${part.type}\r\n` : ''}\r\n`,
        'utf8',
      ),
      Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(chunks)
}

function upload(h: RelayHarness, body: Buffer, path = '/v1/files?purpose=assistants', id = 'upload') {
  return h.fetch(path, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'x-request-id': id },
    body,
  })
}

async function leftovers(h: RelayHarness): Promise<string[]> {
  const out: string[] = []
  for (const dir of [h.config.paths.tmp_dir, h.config.paths.uploads_dir]) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^file_[0-9a-f]{32}$/.test(name) && name !== 'index.json' && name !== 'index.json.bak')
        out.push(join(dir, name))
    }
  }
  return out
}

/** Capture the relay-side socket of the next connection (to read its byte counters). */
function nextServerSocket(h: RelayHarness): Promise<Socket> {
  return new Promise((resolve) => h.relay.server.once('connection', (s: Socket) => resolve(s)))
}

/**
 * Stream a chunked body of up to `maxBytes` (honouring backpressure) until the relay answers.
 * Returns the relay's bytes read when the answer arrived and the parsed answer.
 */
async function chunkedUntilAnswer(
  h: RelayHarness,
  path: string,
  headers: Record<string, string>,
  preamble: Buffer,
  maxBytes: number,
): Promise<{ relayBytesRead: number; status: number; body: unknown; clientBytesSent: number }> {
  const serverSocket = nextServerSocket(h)
  const socket = await openSocket(h.url)
  socket.on('error', () => {})
  const received: Buffer[] = []
  let answeredAt: number | null = null
  const relay = await Promise.race([serverSocket, sleep(2000).then(() => null)])
  if (!relay) throw new Error('no server socket')
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => {
      received.push(c)
      if (answeredAt === null) answeredAt = relay.bytesRead
      if (parseResponse(Buffer.concat(received))?.body.length) resolve()
    })
    socket.on('close', () => resolve())
  })
  socket.write(frameRequest('POST', path, { ...headers, 'transfer-encoding': 'chunked' }))
  const writeChunk = (data: Buffer): boolean =>
    socket.write(Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]))
  writeChunk(preamble)
  const filler = Buffer.alloc(64 * 1024, 0x61)
  let sent = preamble.length
  while (answeredAt === null && sent < maxBytes && !socket.destroyed) {
    if (!writeChunk(filler)) {
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), answered, sleep(2000)])
    }
    sent += filler.length
  }
  await Promise.race([answered, sleep(5000)])
  socket.destroy()
  const response = parseResponse(Buffer.concat(received))
  let body: unknown = null
  try {
    body = JSON.parse(response?.body.toString('utf8') ?? '')
  } catch {
    body = response?.body.toString('utf8') ?? null
  }
  return {
    relayBytesRead: answeredAt ?? relay.bytesRead,
    status: response?.status ?? 0,
    body,
    clientBytesSent: sent,
  }
}

describe('U — uploads', () => {
  it.each([
    ['streamed into the store', '/v1/files?purpose=assistants'],
    ['spooled (purpose after the file)', '/v1/files'],
  ])(
    'U1 chunked upload over the limit (%s): 413 once the limit is crossed, nothing kept or logged',
    async (_name, path) => {
      const h = await startRelay({ env: { AIRELAYS_MAX_UPLOAD_BYTES: String(MiB) } })
      const preamble = Buffer.from(
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="big.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
      )
      const result = await chunkedUntilAnswer(
        h,
        path,
        {
          authorization: `Bearer ${h.token}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'x-request-id': 'u1',
        },
        preamble,
        64 * MiB,
      )
      console.info(`U1 ${path}: relay read ${result.relayBytesRead} bytes before answering`)
      expect(result.status).toBe(413)
      expect(isEnvelope(result.body) && result.body.error.code).toBe('upload_too_large')
      expect((result.body as { error: { message: string } }).error.message).toBe(
        `Uploaded file exceeds the configured AIRelays upload limit of ${MiB} bytes.`,
      )
      expect(result.relayBytesRead).toBeLessThanOrEqual(2 * MiB + 64 * 1024)
      expect(result.clientBytesSent).toBeLessThan(64 * MiB)
      await eventually(async () => (await leftovers(h)).length === 0, 10_000)
      const status = await h.status()
      expect(status.storage).toMatchObject({ file_count: 0, total_bytes: 0 })
      await sleep(200)
      const inbound = (await h.logRecords()).filter(
        (r) => r.request_id === 'u1' && r.phase === 'inbound_request',
      )
      expect(inbound).toEqual([])
    },
  )

  it('U1 chunked JSON body over the JSON limit: 413 once the limit is crossed', async () => {
    const h = await startRelay({ relay: { maxJsonBodyBytes: MiB } })
    const result = await chunkedUntilAnswer(
      h,
      '/v1/chat/completions',
      { authorization: `Bearer ${h.token}`, ...JSON_HEADERS },
      Buffer.from('{"model":"gpt-5.5","messages":[{"role":"user","content":"'),
      64 * MiB,
    )
    expect(result.status).toBe(413)
    expect(isEnvelope(result.body) && result.body.error.code).toBe('request_too_large')
    expect(result.relayBytesRead).toBeLessThanOrEqual(2 * MiB + 64 * 1024)
    expect(h.emu.requests).toHaveLength(0)
  })

  it.each([
    ['/v1/chat/completions', JSON_HEADERS],
    ['/v1/files?purpose=assistants', { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }],
  ] as const)(
    'U2 a lying Content-Length (10 declared, 100 MiB sent) on %s is rejected, memory stays flat',
    async (path, headers) => {
      const h = await startRelay()
      const socket = await openSocket(h.url)
      socket.on('error', () => {})
      const received: Buffer[] = []
      socket.on('data', (c: Buffer) => received.push(c))
      let closed = false
      socket.on('close', () => {
        closed = true
      })
      const rssBefore = process.memoryUsage().rss
      socket.write(
        frameRequest(
          'POST',
          path,
          {
            authorization: `Bearer ${h.token}`,
            ...headers,
            'content-length': '10',
            connection: 'keep-alive',
          },
          '{"model":"',
        ),
      )
      const junk = Buffer.alloc(MiB, 0x7a)
      let sent = 0
      let peakRss = rssBefore
      while (sent < 100 * MiB && !closed) {
        if (!socket.write(junk)) {
          await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), sleep(1000)])
        }
        sent += junk.length
        peakRss = Math.max(peakRss, process.memoryUsage().rss)
      }
      await eventually(() => closed, 5000, 20, 'connection closed by the relay')
      socket.destroy()
      expect(closed).toBe(true)
      expect(sent).toBeLessThan(100 * MiB)
      // The 10 declared bytes are answered (400) or, when the junk arrives first, the connection is
      // refused as a protocol error (Node's own 400): either way nothing more is read.
      const first = parseResponse(Buffer.concat(received))
      expect(first?.status).toBe(400)
      expect(peakRss - rssBefore).toBeLessThan(64 * MiB)
      expect(h.emu.requests).toHaveLength(0)
      expect((await h.fetch('/healthz')).status).toBe(200)
    },
  )

  it('U3 total quota exceeded: 413 with the quota message, existing files untouched', async () => {
    const h = await startRelay({
      env: { AIRELAYS_MAX_UPLOAD_BYTES: String(MiB), AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: String(MiB) },
    })
    const first = randomBytes(700 * 1024)
    const ok = await upload(h, multipart([{ name: 'file', filename: 'a.bin', data: first }]))
    expect(ok.status).toBe(200)
    const stored = (await ok.json()) as { id: string; sha256: string }
    const over = await upload(
      h,
      multipart([{ name: 'file', filename: 'b.bin', data: randomBytes(400 * 1024) }]),
    )
    expect(over.status).toBe(413)
    const body = await over.json()
    expect(body).toEqual({
      error: {
        message: `Stored uploads would exceed the configured AIRelays upload quota of ${MiB} bytes.`,
        type: 'invalid_request_error',
        param: null,
        code: 'upload_quota_exceeded',
      },
    })
    const content = await h.fetch(`/v1/files/${stored.id}/content`)
    expect(
      createHash('sha256')
        .update(Buffer.from(await content.arrayBuffer()))
        .digest('hex'),
    ).toBe(createHash('sha256').update(first).digest('hex'))
    const list = (await (await h.fetch('/v1/files')).json()) as { data: unknown[] }
    expect(list.data).toHaveLength(1)
    expect(await leftovers(h)).toEqual([])
  })

  it('U4 filename attacks: stored as uploads/file_<32hex> only, the name kept as a clean label', async () => {
    const h = await startRelay()
    const parent = dirname(h.dataDir)
    const before = new Set(await readdir(parent))
    const names = [
      '../../x',
      '..\\..\\x',
      '%2e%2e%2fx',
      '/etc/passwd',
      'C:\\Windows\\evil.txt',
      'a\u0000b.txt',
      `${'n'.repeat(4096)}.txt`,
      '.htaccess',
      'file_00000000000000000000000000000000',
      '../index.json',
      'bidi\u202egnp.exe',
    ]
    const ids: string[] = []
    for (const filename of names) {
      const res = await upload(
        h,
        multipart([
          {
            name: 'file',
            type: 'text/plain',
            data: 'hello',
            rawDisposition: `form-data; name="file"; filename="${filename.replace(/"/g, '%22')}"`,
          },
        ]),
      )
      expect([200, 400], filename.slice(0, 40)).toContain(res.status)
      const body = (await res.json()) as { id?: string; filename?: string }
      if (res.status !== 200) {
        expect(isEnvelope(body)).toBe(true)
        continue
      }
      expect(body.id).toMatch(/^file_[0-9a-f]{32}$/)
      ids.push(body.id as string)
      const label = body.filename as string
      expect(label).not.toMatch(/[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/)
      expect([...label].length).toBeLessThanOrEqual(255)
    }
    expect(ids.length).toBeGreaterThanOrEqual(names.length - 1)
    // Upload with RFC 5987 filename* as well.
    const star = await upload(
      h,
      multipart([
        {
          name: 'file',
          data: 'x',
          rawDisposition: `form-data; name="file"; filename*=UTF-8''..%2F..%2Fpwned`,
        },
      ]),
    )
    expect([200, 400]).toContain(star.status)
    const files = (await walkFiles(h.dataDir)).map((f) => f.slice(h.dataDir.length + 1))
    // Besides uploads: the credentials, the token, hourly log files and the log retention marker.
    for (const file of files) {
      expect(file).toMatch(
        /^(auth\.json|relay-token|uploads\/(file_[0-9a-f]{32}|index\.json|index\.json\.bak)|logs\/\d{4}\/\d{2}\/\d{2}-\d{2}\.log|logs\/\.airelays-retention)$/,
      )
    }
    const added = (await readdir(parent)).filter((n) => !before.has(n))
    for (const name of added) expect(['x', 'pwned', 'passwd', '.htaccess', 'evil.txt']).not.toContain(name)
    expect(await readdir(join(parent, '..')).then((n) => n.includes('pwned') || n.includes('x'))).toBe(false)
  })

  it('U5 file id attacks on /v1/files/{id}[/content]: 404 unless ^file_[0-9a-f]{32}$', async () => {
    const h = await startRelay({ env: { AIRELAYS_RATE_LIMIT_BURST: '1000' } })
    const ok = await upload(
      h,
      multipart([{ name: 'file', filename: 'real.txt', type: 'text/plain', data: 'real' }]),
    )
    const real = ((await ok.json()) as { id: string }).id
    const hex = real.slice(5)
    const attacks = [
      '..%2fauth.json',
      '%2e%2e%2fauth.json',
      '%2e%2e%2f%2e%2e%2frelay-token',
      '..%2f..%2fuploads%2findex.json',
      'file_%2e%2e',
      `file_${hex.slice(1)}`,
      `file_${hex}0`,
      `file_${hex.toUpperCase()}`,
      `FILE_${hex}`,
      `file_${hex}%00`,
      `file_${hex}%2f..%2findex.json`,
      'index.json',
      '..',
      `${real}%20`,
    ]
    const secrets = [h.token]
    for (const id of attacks) {
      for (const [method, suffix] of [
        ['GET', '/content'],
        ['GET', ''],
        ['DELETE', ''],
      ] as const) {
        const { response } = await rawRequest(
          h.url,
          frameRequest(method, `/v1/files/${id}${suffix}`, { authorization: `Bearer ${h.token}` }),
        )
        expect(response?.status, `${method} ${id}${suffix}`).toBe(404)
        const text = response?.body.toString('utf8') ?? ''
        expect(isEnvelope(JSON.parse(text))).toBe(true)
        for (const s of secrets) expect(text).not.toContain(s)
      }
    }
    // Dot segments in the raw path are resolved before routing: never a file outside the store.
    for (const raw of [`/v1/files/../../auth.json/content`, `/v1/files/${real}/../../relay-token`]) {
      const { response } = await rawRequest(
        h.url,
        frameRequest('GET', raw, { authorization: `Bearer ${h.token}` }),
      )
      expect(response?.status, raw).toBe(404)
      expect(response?.body.toString('utf8')).not.toContain(h.token)
    }
    const good = await h.fetch(`/v1/files/${real}/content`)
    expect(good.status).toBe(200)
    expect(await good.text()).toBe('real')
  })

  describe('U6 multipart bombs are capped', () => {
    async function bomb(h: RelayHarness, body: Buffer) {
      const delay = monitorEventLoopDelay({ resolution: 10 })
      delay.enable()
      const res = await upload(h, body)
      delay.disable()
      const parsed = await res.json()
      return { status: res.status, body: parsed, maxStallMs: delay.max / 1e6 }
    }

    it.each([
      [
        '10,000 fields',
        () =>
          multipart([
            ...Array.from({ length: 10_000 }, (_, i) => ({ name: `f${i}`, data: 'v' })),
            { name: 'file', filename: 'a.txt', data: 'x' },
          ]),
      ],
      [
        '1,000 tiny file parts',
        () =>
          multipart(
            Array.from({ length: 1000 }, (_, i) => ({ name: 'file', filename: `p${i}.txt`, data: 'x' })),
          ),
      ],
      [
        'a field name of 1 MB',
        () =>
          multipart([
            { name: 'n'.repeat(MiB), data: 'v' },
            { name: 'file', filename: 'a.txt', data: 'x' },
          ]),
      ],
      [
        'a field value of 8 MB',
        () =>
          multipart([
            { name: 'purpose', data: 'p'.repeat(8 * MiB) },
            { name: 'file', filename: 'a.txt', data: 'x' },
          ]),
      ],
    ])('U6 %s: rejected with a clear 400, nothing stored', async (name, build) => {
      const h = await startRelay()
      const result = await bomb(h, build())
      console.info(
        `U6 ${name}: ${result.status}, longest event-loop stall ${result.maxStallMs.toFixed(1)} ms`,
      )
      expect(result.status).toBe(400)
      expect(isEnvelope(result.body)).toBe(true)
      expect(['multipart_limit', 'invalid_multipart']).toContain(
        (result.body as { error: { code: string } }).error.code,
      )
      const status = await h.status()
      expect(status.storage.file_count).toBe(0)
      expect(await leftovers(h)).toEqual([])
    })
  })

  it('U7 downloads: stored Content-Type, nosniff and attachment', async () => {
    const h = await startRelay()
    const html = '<!doctype html><script>alert(document.cookie)</script>'
    const res = await upload(
      h,
      multipart([
        {
          name: 'file',
          type: 'text/html',
          data: html,
          rawDisposition: `form-data; name="file"; filename*=UTF-8''x%22%3B%20filename%3Devil.html`,
        },
      ]),
    )
    expect(res.status).toBe(200)
    const object = (await res.json()) as { id: string; content_type: string }
    const content = await h.fetch(`/v1/files/${object.id}/content`)
    expect(content.status).toBe(200)
    expect(content.headers.get('content-type')).toBe(object.content_type)
    expect(content.headers.get('x-content-type-options')).toBe('nosniff')
    const disposition = content.headers.get('content-disposition') ?? ''
    expect(disposition).toMatch(/^attachment;/)
    expect(disposition.match(/filename="([^"]*)"/)?.[1]).not.toContain('"')
    expect(content.headers.get('x-request-id')).toBeTruthy()
    expect(await content.text()).toBe(html)
  })

  it('U8 client aborts mid-upload: temp file removed, quota accounting unchanged', async () => {
    const h = await startRelay({
      env: { AIRELAYS_MAX_UPLOAD_BYTES: String(MiB), AIRELAYS_MAX_TOTAL_UPLOAD_BYTES: String(MiB) },
    })
    for (const path of ['/v1/files?purpose=assistants', '/v1/files']) {
      const socket = await openSocket(h.url)
      socket.on('error', () => {})
      socket.write(
        frameRequest('POST', path, {
          authorization: `Bearer ${h.token}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': String(900 * 1024),
        }),
      )
      socket.write(
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="partial.bin"\r\n\r\n${'p'.repeat(512 * 1024)}`,
      )
      await sleep(300)
      socket.destroy()
      await eventually(async () => (await leftovers(h)).length === 0, 10_000, 20, 'temp files removed')
    }
    const status = await h.status()
    expect(status.storage).toMatchObject({ file_count: 0, total_bytes: 0 })
    // The aborted reservations were released: a file of exactly the quota fits.
    const full = await upload(h, multipart([{ name: 'file', filename: 'full.bin', data: randomBytes(MiB) }]))
    expect(full.status).toBe(200)
  })
})

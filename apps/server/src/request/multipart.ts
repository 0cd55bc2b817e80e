import { createReadStream, promises as fs } from 'node:fs'
import { join } from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FileObject, FileStore } from '@airelays/file-inliner'
import type busboy from 'busboy'
import { getQuery } from 'h3'
import { badUpload, clientClosed, uploadTooLarge } from '../errors/factories'
import { afterResponse, discard, requestBody } from './body'
import { randomId } from './ids'
import type { RelayRequest } from './relay-request'

/** The first value of a query parameter (`?a=1&a=2` gives `1`), or null. */
export function firstString(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return null
}

/** Explicit multipart limits: a multipart bomb is refused, never parsed into memory. */
const MULTIPART_LIMITS = {
  fields: 8,
  fieldNameSize: 100,
  fieldSize: 64 * 1024,
  files: 1,
  parts: 10,
  headerPairs: 20,
} as const

interface PendingFile {
  filename: string | undefined
  mimeType: string
  stream: Readable
  /** Stored object, when the bytes went straight into the store. */
  stored?: Promise<FileObject>
  /** Spool file, when the purpose was not known yet as the file part began. */
  spool?: Promise<Spooled>
}

/**
 * Parse `multipart/form-data` with busboy and store the `file` part. The purpose comes from the
 * query string, else a `purpose` field, else "assistants". When the purpose is known before the
 * file part starts (query string, or a field sent first) the bytes stream straight into the
 * store; otherwise (the openai npm SDK sends `file` before `purpose`) they are spooled to a 0600
 * temp file first, within the same size limit. On any failure the partial file is removed and
 * nothing is kept.
 */
export async function receiveUpload(
  req: RelayRequest,
  options: { files: FileStore; spoolDir: string },
): Promise<FileObject> {
  const { event } = req
  const { files } = options
  const contentType = event.req.headers.get('content-type') ?? ''
  if (!/^multipart\/form-data/i.test(contentType)) {
    throw badUpload(
      'Uploads must be `multipart/form-data` with a `file` field.',
      'invalid_content_type',
      null,
    )
  }
  const source = requestBody(event)
  if (!source) throw badUpload('The upload has no `file` field.', 'missing_file')
  const queryPurpose = firstString(getQuery(event).purpose)
  const maxBytes = files.maxUploadBytes

  // busboy (CommonJS) is loaded on the first upload: importing it at start-up pulls Node's CJS
  // lexer into every relay (bench/findings.md, "Memory at idle and per stream").
  const { default: createBusboy } = await import('busboy')
  let bb: busboy.Busboy
  try {
    // No busboy fileSize limit: the store (or the spool) refuses the upload as soon as it crosses
    // max_upload_bytes and stops reading, so the socket is paused right there.
    // File names arrive as raw UTF-8 from curl and the openai SDK (issue 26, item 9): busboy's
    // default would read them as Latin-1 (`résumé.txt` → `rÃ©sumÃ©.txt`).
    bb = createBusboy({
      headers: { 'content-type': contentType },
      limits: MULTIPART_LIMITS,
      defParamCharset: 'utf8',
    })
  } catch {
    throw badUpload('The multipart body could not be parsed (missing or invalid boundary).')
  }
  // Aborted by the client going away (the request's signal) or by a failure of this upload.
  const upload = new AbortController()
  const onStateAbort = (): void => upload.abort(req.signal.reason)
  if (req.signal.aborted) onStateAbort()
  else req.signal.addEventListener('abort', onStateAbort, { once: true })

  let fieldPurpose: string | null = null
  let pending: PendingFile | null = null
  let settle: (error?: unknown) => void = () => {}
  const parsed = new Promise<void>((resolve, reject) => {
    let done = false
    settle = (error) => {
      if (done) return
      done = true
      if (error === undefined) resolve()
      else reject(error)
    }
  })
  bb.on('field', (name, value, info) => {
    if (info.nameTruncated || info.valueTruncated) {
      const label = name.slice(0, 100)
      settle(badUpload(`Multipart field \`${label}\` is too large.`, 'multipart_limit', label))
      return
    }
    if (name === 'purpose') fieldPurpose = value
  })
  bb.on('file', (name, stream, info) => {
    // busboy destroys an unfinished part's stream with its error (e.g. "Unexpected end of form");
    // its consumer reports failures through its own promise, so the event must never go unheard.
    stream.on('error', () => {})
    if (name !== 'file' || pending) {
      stream.resume()
      return
    }
    const purpose = queryPurpose ?? fieldPurpose
    const file: PendingFile = { filename: info.filename, mimeType: info.mimeType, stream }
    pending = file
    if (purpose !== null) {
      file.stored = files.create(stream, {
        filename: info.filename ?? null,
        contentType: info.mimeType,
        purpose,
        signal: upload.signal,
      })
      file.stored.catch((error: unknown) => settle(error))
    } else {
      file.spool = spool(stream, { dir: options.spoolDir, maxBytes, files, signal: upload.signal })
      file.spool.catch((error: unknown) => settle(error))
    }
  })
  bb.on('partsLimit', () =>
    settle(badUpload('The multipart body has too many parts.', 'multipart_limit', null)),
  )
  bb.on('filesLimit', () => settle(badUpload('Upload exactly one `file` part.', 'multipart_limit')))
  bb.on('fieldsLimit', () =>
    settle(badUpload('The multipart body has too many fields.', 'multipart_limit', null)),
  )
  bb.on('error', () => settle(badUpload('The multipart body could not be parsed.')))
  bb.on('close', () => settle())
  source.on('error', (error) => settle(error))
  source.pipe(bb)

  const file = (): PendingFile | null => pending
  try {
    await parsed
    const received = file()
    if (!received) throw badUpload('The upload has no `file` field.', 'missing_file')
    if (received.stored) return await received.stored
    const { path, release } = await (received.spool as Promise<Spooled>)
    // The staged bytes stop counting now: the store reserves them again as it reads the file.
    release()
    try {
      return await files.create(createReadStream(path), {
        filename: received.filename ?? null,
        contentType: received.mimeType,
        purpose: fieldPurpose ?? 'assistants',
        signal: upload.signal,
      })
    } finally {
      await fs.rm(path, { force: true }).catch(() => {})
    }
  } catch (error) {
    upload.abort(error)
    source.unpipe(bb)
    source.pause()
    bb.on('error', () => {})
    bb.destroy()
    const received = file()
    received?.stream.destroy()
    if (!req.signal.aborted) afterResponse(event, () => discard(source))
    // Let the store / spool remove their partial files before answering; a spool that completed
    // before the failure is removed here.
    const [, spooled] = await Promise.allSettled([received?.stored, received?.spool])
    if (spooled.status === 'fulfilled' && spooled.value) {
      spooled.value.release()
      await fs.rm(spooled.value.path, { force: true }).catch(() => {})
    }
    if (req.signal.aborted) throw clientClosed(error)
    throw error
  } finally {
    req.signal.removeEventListener('abort', onStateAbort)
  }
}

/** A spooled upload: its temp file, and the quota its bytes hold until `release()` (idempotent). */
interface Spooled {
  path: string
  release: () => void
}

/**
 * Stage `stream` in a 0600 temp file. Every staged byte is reserved in the upload store's quota
 * (`FileStore.reserve`), so spooled uploads count against `max_upload_bytes` and
 * `max_total_upload_bytes` like uploads in flight (issue 26, item 9) and cannot fill the disk.
 */
async function spool(
  stream: Readable,
  options: { dir: string; maxBytes: number; files: FileStore; signal: AbortSignal },
): Promise<Spooled> {
  const { dir, maxBytes, files, signal } = options
  const reservation = typeof files.reserve === 'function' ? await files.reserve() : null
  const release = (): void => reservation?.release()
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `airelays-spool-${randomId('up')}`)
  let bytes = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      if (bytes > maxBytes) {
        callback(uploadTooLarge(maxBytes))
        return
      }
      try {
        reservation?.grow(chunk.length)
      } catch (error) {
        callback(error as Error)
        return
      }
      callback(null, chunk)
    },
  })
  // Create the file before streaming: a write stream opens its file asynchronously, so an early
  // failure could otherwise remove the path before the open creates it, leaving the file behind.
  let handle: fs.FileHandle | null = null
  try {
    handle = await fs.open(path, 'wx', 0o600)
    await pipeline(stream, counter, handle.createWriteStream(), { signal })
    return { path, release }
  } catch (error) {
    release()
    stream.resume()
    await handle?.close().catch(() => {})
    await fs.rm(path, { force: true }).catch(() => {})
    throw error
  }
}

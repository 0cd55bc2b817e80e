import { createReadStream, promises as fs } from 'node:fs'
import { join } from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type FileObject, isFileInlinerError } from '@airelays/file-inliner'
import busboy from 'busboy'
import { getQuery, getRouterParam, type H3Event } from 'h3'
import { afterResponse, clientClosedError, discard, requestBody } from '../_internal/body'
import { type RequestState, stateOf } from '../_internal/context'
import { randomId } from '../_internal/ids'
import { finishRequest } from '../_internal/finish'
import { jsonResponse, logInbound, requireOpenai } from '../_internal/respond'
import type { RelayRuntime } from '../_internal/runtime'
import { BodySummary } from '../_internal/traffic-log'
import { RelayError, toRelayError } from '../errors'
import type { RelayHandler } from './index'

/** Explicit multipart limits: a multipart bomb is refused, never parsed into memory. */
const MULTIPART_LIMITS = {
  fields: 8,
  fieldNameSize: 100,
  fieldSize: 64 * 1024,
  files: 1,
  parts: 10,
  headerPairs: 20,
} as const

function badUpload(message: string, code = 'invalid_multipart', param: string | null = 'file'): RelayError {
  return new RelayError({ status: 400, type: 'invalid_request_error', code, param, message })
}

/** Map a file-inliner error (or anything else) to the envelope. */
export function fileFailure(error: unknown): RelayError {
  if (!isFileInlinerError(error)) return toRelayError(error)
  if (error.status === 499) return clientClosedError(error)
  return new RelayError({
    status: error.status,
    type: error.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: error.code,
    param: error.param,
    message: error.message,
    cause: error,
  })
}

function firstString(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return null
}

interface PendingFile {
  filename: string | undefined
  mimeType: string
  stream: Readable
  /** Stored object, when the bytes went straight into the store. */
  stored?: Promise<FileObject>
  /** Spool file, when the purpose was not known yet as the file part began. */
  spool?: Promise<{ path: string }>
}

/**
 * Parse `multipart/form-data` with busboy and store the `file` part. The purpose comes from the
 * query string, else a `purpose` field, else "assistants". When the purpose is known before the
 * file part starts (query string, or a field sent first) the bytes stream straight into the
 * store; otherwise (the openai npm SDK sends `file` before `purpose`) they are spooled to a 0600
 * temp file first, within the same size limit. On any failure the partial file is removed and
 * nothing is kept.
 */
async function receiveUpload(rt: RelayRuntime, event: H3Event, state: RequestState): Promise<FileObject> {
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
  const maxBytes = rt.files.maxUploadBytes

  let bb: busboy.Busboy
  try {
    // No busboy fileSize limit: the store (or the spool) refuses the upload as soon as it crosses
    // max_upload_bytes and stops reading, so the socket is paused right there.
    bb = busboy({ headers: { 'content-type': contentType }, limits: MULTIPART_LIMITS })
  } catch {
    throw badUpload('The multipart body could not be parsed (missing or invalid boundary).')
  }
  // Aborted by the client going away (state.abort) or by a failure of this upload.
  const upload = new AbortController()
  const onStateAbort = (): void => upload.abort(state.abort.signal.reason)
  if (state.abort.signal.aborted) onStateAbort()
  else state.abort.signal.addEventListener('abort', onStateAbort, { once: true })

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
      file.stored = rt.files.create(stream, {
        filename: info.filename ?? null,
        contentType: info.mimeType,
        purpose,
        signal: upload.signal,
      })
      file.stored.catch((error: unknown) => settle(error))
    } else {
      file.spool = spool(rt, stream, maxBytes, upload.signal)
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
    const { path } = await (received.spool as Promise<{ path: string }>)
    try {
      return await rt.files.create(createReadStream(path), {
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
    if (!state.abort.signal.aborted) afterResponse(event, () => discard(source))
    // Let the store / spool remove their partial files before answering; a spool that completed
    // before the failure is removed here.
    const [, spooled] = await Promise.allSettled([received?.stored, received?.spool])
    if (spooled.status === 'fulfilled' && spooled.value)
      await fs.rm(spooled.value.path, { force: true }).catch(() => {})
    if (state.abort.signal.aborted) throw clientClosedError(error)
    throw fileFailure(error)
  } finally {
    state.abort.signal.removeEventListener('abort', onStateAbort)
  }
}

async function spool(
  rt: RelayRuntime,
  stream: Readable,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ path: string }> {
  const dir = rt.settings.config.paths.tmp_dir
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `airelays-spool-${randomId('up')}`)
  let bytes = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      if (bytes > maxBytes) {
        callback(
          new RelayError({
            status: 413,
            type: 'invalid_request_error',
            code: 'upload_too_large',
            param: 'file',
            message: `Uploaded file exceeds the configured AIRelays upload limit of ${maxBytes} bytes.`,
          }),
        )
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
    return { path }
  } catch (error) {
    stream.resume()
    await handle?.close().catch(() => {})
    await fs.rm(path, { force: true }).catch(() => {})
    throw error
  }
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

/** A body that streams `source` and calls `onDone` once when it ends, fails or is cancelled. */
function trackedBody(
  source: Readable,
  onDone: (outcome: 'completed' | 'failed' | 'client_disconnected') => void,
): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]()
  let done = false
  const end = (outcome: 'completed' | 'failed' | 'client_disconnected'): void => {
    if (done) return
    done = true
    onDone(outcome)
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const step = await iterator.next()
          if (step.done) {
            controller.close()
            end('completed')
          } else controller.enqueue(step.value as Uint8Array)
        } catch (error) {
          controller.error(error)
          end('failed')
        }
      },
      cancel() {
        source.destroy()
        end('client_disconnected')
      },
    },
    { highWaterMark: 1 },
  )
}

/** `/v1/files` routes (local store; there is no upstream file API). */
export function fileRoutes(rt: RelayRuntime): {
  upload: RelayHandler
  list: RelayHandler
  get: RelayHandler
  content: RelayHandler
  remove: RelayHandler
} {
  const fileId = (event: H3Event): string => getRouterParam(event, 'file_id') ?? ''
  return {
    async upload(event) {
      const state = stateOf(event)
      state.skipInbound = true
      requireOpenai(rt)
      const object = await receiveUpload(rt, event, state)
      state.skipInbound = false
      logInbound(
        rt,
        event,
        state,
        new BodySummary({
          kind: 'multipart_upload',
          filename: object.filename,
          purpose: object.purpose,
          content_type: object.content_type,
          bytes: object.bytes,
          sha256: object.sha256,
        }),
      )
      return jsonResponse(state, 200, object)
    },
    async list(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      const query = getQuery(event)
      const purpose = firstString(query.purpose)
      const after = firstString(query.after)
      const order = firstString(query.order) === 'asc' ? 'asc' : 'desc'
      const limitRaw = Number(firstString(query.limit) ?? 10_000)
      const limit = Number.isInteger(limitRaw) && limitRaw >= 1 ? Math.min(limitRaw, 10_000) : 10_000
      let all: FileObject[]
      try {
        all = await rt.files.list()
      } catch (error) {
        throw fileFailure(error)
      }
      if (order === 'asc') all = [...all].reverse()
      if (purpose) all = all.filter((file) => file.purpose === purpose)
      if (after) {
        const index = all.findIndex((file) => file.id === after)
        all = index >= 0 ? all.slice(index + 1) : all
      }
      const data = all.slice(0, limit)
      return jsonResponse(state, 200, {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: all.length > data.length,
      })
    },
    async get(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      try {
        return jsonResponse(state, 200, await rt.files.get(fileId(event)))
      } catch (error) {
        throw fileFailure(error)
      }
    },
    async content(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      let content: Awaited<ReturnType<RelayRuntime['files']['openContent']>>
      try {
        content = await rt.files.openContent(fileId(event))
      } catch (error) {
        throw fileFailure(error)
      }
      state.deferred = true
      state.outboundExtra = { file_id: content.object.id, bytes: content.object.bytes }
      const body = trackedBody(content.stream, (outcome) => finishRequest(rt, state, 200, outcome))
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': content.contentType,
          'content-length': String(content.object.bytes),
          'x-content-type-options': 'nosniff',
          'content-disposition': contentDisposition(content.object.filename),
        },
      })
    },
    async remove(event) {
      const state = stateOf(event)
      requireOpenai(rt)
      try {
        return jsonResponse(state, 200, await rt.files.delete(fileId(event)))
      } catch (error) {
        throw fileFailure(error)
      }
    },
  }
}

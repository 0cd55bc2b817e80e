import type { Readable } from 'node:stream'
import { getQuery, getRouterParam } from 'h3'
import { localRoutesDisabled } from '../errors/factories'
import { BodySummary } from '../logging/traffic-log'
import { firstString, receiveUpload } from '../request/multipart'
import type { RelayRequest } from '../request/relay-request'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

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
  const fileId = (req: RelayRequest): string => getRouterParam(req.event, 'file_id') ?? ''
  const requireOpenai = (): void => {
    if (!rt.settings.config.providers.openai.enabled) throw localRoutesDisabled()
  }
  const spoolDir = rt.settings.config.paths.tmp_dir
  return {
    async upload(req) {
      // A refused upload is never logged as an inbound request.
      req.withholdInbound()
      requireOpenai()
      const object = await receiveUpload(req, { files: rt.files, spoolDir })
      req.logInbound(
        new BodySummary({
          kind: 'multipart_upload',
          filename: object.filename,
          purpose: object.purpose,
          content_type: object.content_type,
          bytes: object.bytes,
          sha256: object.sha256,
        }),
        { force: true },
      )
      return req.json(object)
    },
    async list(req) {
      requireOpenai()
      const query = getQuery(req.event)
      const purpose = firstString(query.purpose)
      const after = firstString(query.after)
      const order = firstString(query.order) === 'asc' ? 'asc' : 'desc'
      const limitRaw = Number(firstString(query.limit) ?? 10_000)
      const limit = Number.isInteger(limitRaw) && limitRaw >= 1 ? Math.min(limitRaw, 10_000) : 10_000
      let all = await rt.files.list()
      if (order === 'asc') all = [...all].reverse()
      if (purpose) all = all.filter((file) => file.purpose === purpose)
      if (after) {
        const index = all.findIndex((file) => file.id === after)
        all = index >= 0 ? all.slice(index + 1) : all
      }
      const data = all.slice(0, limit)
      return req.json({
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: all.length > data.length,
      })
    },
    async get(req) {
      requireOpenai()
      return req.json(await rt.files.get(fileId(req)))
    },
    async content(req) {
      requireOpenai()
      const content = await rt.files.openContent(fileId(req))
      req.note({ file_id: content.object.id, bytes: content.object.bytes })
      const body = trackedBody(content.stream, req.keepOpen())
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
    async remove(req) {
      requireOpenai()
      return req.json(await rt.files.delete(fileId(req)))
    },
  }
}

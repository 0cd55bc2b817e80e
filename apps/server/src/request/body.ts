import { isAscii } from 'node:buffer'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web'
import type { H3Event } from 'h3'
import { bodyTooLarge, clientClosed, invalidBody, invalidJson } from '../errors/factories'
import type { RelayError } from '../errors/relay-error'
import { BodySnapshot, BodySummary } from '../logging/traffic-log'
import type { RelayRequest } from './relay-request'

/** How much of a refused body is still read (and dropped) after the answer, before the socket is cut. */
const DISCARD_LIMIT = 8 * 1024 * 1024
/** Delay between a refusal leaving and the discard of the unread body starting, in ms. */
const AFTER_RESPONSE_DELAY_MS = 50

interface NodeReqLike extends Readable {
  complete?: boolean
}

/**
 * The request body as a Node stream with real backpressure: the raw `IncomingMessage` under the
 * Node adapter (reading it pauses the socket when we stop), else the web body stream.
 */
export function requestBody(event: H3Event): Readable | null {
  const nodeReq = (event.runtime?.node as { req?: NodeReqLike } | undefined)?.req
  if (nodeReq && typeof nodeReq.on === 'function' && typeof nodeReq.pause === 'function') return nodeReq
  const body = event.req.body
  return body ? Readable.fromWeb(body as unknown as NodeWebReadableStream<Uint8Array>) : null
}

/**
 * Run `fn` once the response of `event` has been handed to the OS (Node runtime), else soon. Used
 * to drop the unread rest of a refused body only after the refusal went out: reading it first
 * would delay the answer, never reading it would make the kernel reset the connection (the client
 * would see ECONNRESET instead of the 413).
 */
export function afterResponse(event: H3Event, fn: () => void): void {
  let done = false
  const once = (): void => {
    if (done) return
    done = true
    // A short pause after the answer left: the client gets to read it (and stop sending) before
    // the relay starts reading again.
    setTimeout(fn, AFTER_RESPONSE_DELAY_MS).unref()
  }
  type NodeRes = NodeJS.EventEmitter & { writableFinished?: boolean; destroyed?: boolean }
  const res = (event.runtime?.node as { res?: NodeRes } | undefined)?.res
  if (!res || res.writableFinished || res.destroyed) {
    once()
    return
  }
  res.once('finish', once)
  res.once('close', once)
}

/** Read and drop the rest of `source` in the background, at most {@link DISCARD_LIMIT} bytes. */
export function discard(source: Readable): void {
  let seen = 0
  source.on('error', () => {})
  source.on('data', (chunk: Buffer) => {
    seen += chunk.length
    if (seen > DISCARD_LIMIT) source.destroy()
  })
  source.resume()
}

/**
 * The whole body when Node's parser has already received all of it (the usual case for a JSON
 * request that fits in one packet): `declared` (Content-Length) bytes are buffered, so they are
 * taken at once, without switching the stream to flowing mode and waiting for its `data` and
 * `end` events. Else `null`.
 */
function bufferedBody(source: NodeReqLike, declared: number): Buffer | null {
  if (!Number.isSafeInteger(declared) || declared <= 0) return null
  if (source.readableFlowing === true || source.destroyed || source.readableLength !== declared) return null
  const chunk = source.read() as Buffer | null
  if (chunk === null || chunk.length !== declared) {
    // not what a paused IncomingMessage does; put it back and take the event-driven path
    if (chunk !== null) source.unshift(chunk)
    return null
  }
  return chunk
}

/**
 * Read the whole request body, refusing more than `limit` bytes as soon as the limit is crossed
 * (whatever Content-Length said). The reading stops there; the unread rest is dropped after the
 * 413 went out. A client that disconnects mid-body gives a 499 error.
 */
export async function readBodyBytes(event: H3Event, limit: number): Promise<Uint8Array> {
  const chunks = await readBodyChunks(event, limit)
  if (chunks.length === 0) return new Uint8Array(0)
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
}

/**
 * {@link readBodyBytes} as the chunks the socket delivered, not joined: see {@link decodeChunks}
 * for how a JSON body is read from them (bench/findings.md, "A 1 MB request").
 */
export function readBodyChunks(event: H3Event, limit: number): Promise<Buffer[]> {
  const declared = Number(event.req.headers.get('content-length'))
  const source = requestBody(event)
  if (Number.isFinite(declared) && declared > limit) {
    if (source) afterResponse(event, () => discard(source))
    return Promise.reject(bodyTooLarge(limit))
  }
  if (!source || (source as NodeReqLike).readableEnded) return Promise.resolve([])
  const whole = bufferedBody(source as NodeReqLike, declared)
  if (whole !== null) {
    if (whole.length <= limit) return Promise.resolve([whole])
    afterResponse(event, () => discard(source))
    return Promise.reject(bodyTooLarge(limit))
  }
  return new Promise<Buffer[]>((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const cleanup = (): void => {
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', onError)
      source.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      total += chunk.length
      if (total > limit) {
        cleanup()
        source.pause()
        afterResponse(event, () => discard(source))
        reject(bodyTooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(chunks)
    }
    const onError = (error: unknown): void => {
      cleanup()
      reject(clientClosed(error))
    }
    const onClose = (): void => {
      cleanup()
      reject(clientClosed())
    }
    source.on('data', onData)
    source.once('end', onEnd)
    source.once('error', onError)
    source.once('close', onClose)
  })
}

/** Outcome of parsing a JSON request body. */
export type ParsedJson = { ok: true; value: Record<string, unknown> } | { ok: false; error: RelayError }

const decoder = new TextDecoder('utf-8', { fatal: false })

/** Bodies of at least this many bytes that are all ASCII are read as Latin-1 (see {@link decodeChunks}). */
const ASCII_JOIN_BYTES = 128 * 1024

/**
 * The UTF-8 text of `chunks` (a leading BOM dropped, invalid sequences replaced). A large ASCII
 * body (the same text in UTF-8 and Latin-1) is joined and read as Latin-1: above about 1 MB Node
 * hands that string to V8 as external memory, which `JSON.parse` reads in place, where a decoded
 * string would be one more copy in freshly mapped memory. Otherwise the chunks are decoded one at
 * a time: small strings, joined by V8 without a copy until the text is parsed.
 */
export function decodeChunks(chunks: Uint8Array | readonly Uint8Array[]): string {
  const list: readonly Uint8Array[] = Array.isArray(chunks) ? chunks : [chunks as Uint8Array]
  let total = 0
  for (const chunk of list) total += chunk.byteLength
  if (total >= ASCII_JOIN_BYTES && list.every((chunk) => isAscii(chunk))) {
    const first = list[0] as Uint8Array
    const joined =
      list.length === 1
        ? Buffer.from(first.buffer, first.byteOffset, first.byteLength)
        : Buffer.concat(list, total)
    return joined.toString('latin1')
  }
  if (list.length === 1) return decoder.decode(list[0])
  let text = ''
  for (const chunk of list) text += decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}

/**
 * Parse bytes (one buffer or the chunks of a body) as a JSON object with the reference's
 * messages; `emptyAsObject` treats no body as `{}`.
 */
export function parseJsonObject(
  bytes: Uint8Array | readonly Uint8Array[],
  emptyAsObject: boolean,
): ParsedJson {
  const text = decodeChunks(bytes)
  if (emptyAsObject && text.trim() === '') return { ok: true, value: {} }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, error: invalidJson() }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: invalidBody() }
  }
  return { ok: true, value: value as Record<string, unknown> }
}

/**
 * Read the request body as a JSON object (at most `limit` bytes), logging the inbound record with
 * the body snapshot. Invalid JSON gives 400 "Request body must be valid JSON."; anything but an
 * object gives 400 "Request body must be a JSON object.".
 */
export async function readJsonObject(
  req: RelayRequest,
  options: { limit: number; emptyAsObject: boolean },
): Promise<Record<string, unknown>> {
  let bytes: Buffer[]
  try {
    bytes = await readBodyChunks(req.event, options.limit)
  } catch (error) {
    if ((error as RelayError).status === 413) {
      req.logInbound(new BodySummary({ kind: 'not_read', reason: 'too_large', limit: options.limit }))
    }
    throw error
  }
  const parsed = parseJsonObject(bytes, options.emptyAsObject)
  const contentType = req.event.req.headers.get('content-type')
  req.logInbound(new BodySnapshot(bytes, contentType, parsed.ok ? parsed.value : undefined))
  if (!parsed.ok) throw parsed.error
  return parsed.value
}

import { RelayError } from '../errors'

/** 499: the client went away before the relay could answer (never actually sent). */
export function clientClosedError(cause?: unknown): RelayError {
  return new RelayError({
    status: 499,
    type: 'invalid_request_error',
    code: 'client_closed_request',
    message: 'The client closed the connection before the response was sent.',
    cause,
  })
}

export function bodyTooLargeError(limit: number): RelayError {
  return new RelayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    message: `Request body exceeds the configured AIRelays limit of ${limit} bytes.`,
  })
}

/** How much of an over-limit body is still read (and dropped) so the client gets the answer, not a reset. */
const DISCARD_LIMIT = 8 * 1024 * 1024

/**
 * Read and drop the rest of a body in the background, up to `limit` bytes, then cancel. Answering
 * while unread bytes sit in the socket makes the kernel reset the connection, and the client would
 * see ECONNRESET instead of the 413.
 */
export function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): void {
  let seen = 0
  const pump = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      seen += value.byteLength
      if (seen > limit) {
        await reader.cancel()
        return
      }
    }
  }
  pump().catch(() => {})
}

/**
 * Read the whole request body, refusing more than `limit` bytes (as soon as the limit is crossed,
 * whatever Content-Length said). A client that disconnects mid-body gives a 499 error.
 */
export async function readBodyBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLargeError(limit)
  if (!req.body) return new Uint8Array(0)
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) {
        discardRest(reader, DISCARD_LIMIT)
        throw bodyTooLargeError(limit)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof RelayError) throw error
    if (req.signal.aborted) throw clientClosedError(error)
    throw new RelayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_body',
      message: 'The request body could not be read.',
      cause: error,
    })
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Outcome of parsing a JSON request body. */
export type ParsedJson = { ok: true; value: Record<string, unknown> } | { ok: false; error: RelayError }

const decoder = new TextDecoder('utf-8', { fatal: false })

/** Parse bytes as a JSON object with the reference's messages; `emptyAsObject` treats no body as `{}`. */
export function parseJsonObject(bytes: Uint8Array, emptyAsObject: boolean): ParsedJson {
  const text = decoder.decode(bytes)
  if (emptyAsObject && text.trim() === '') return { ok: true, value: {} }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {
      ok: false,
      error: new RelayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_json',
        message: 'Request body must be valid JSON.',
      }),
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      error: new RelayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_body',
        message: 'Request body must be a JSON object.',
      }),
    }
  }
  return { ok: true, value: value as Record<string, unknown> }
}

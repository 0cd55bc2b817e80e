import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** Largest request body the emulator reads (bytes). */
export const MAX_BODY_BYTES: number = 64 * 1024 * 1024

export interface ReadBody {
  raw: string
  /** JSON value, form object, or undefined when the body is neither. */
  json: unknown
  form: Record<string, string> | undefined
  jsonError: boolean
  tooLarge: boolean
}

/** Read the whole body. Resolves `null` when the client went away before the body ended. */
export function readBody(req: IncomingMessage): Promise<ReadBody | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    let settled = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        tooLarge = true
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (settled) return
      settled = true
      const raw = tooLarge ? '' : Buffer.concat(chunks).toString('utf8')
      resolve(parseBody(raw, String(req.headers['content-type'] ?? ''), tooLarge))
    })
    req.on('error', () => {
      if (settled) return
      settled = true
      resolve(null)
    })
    req.on('aborted', () => {
      if (settled) return
      settled = true
      resolve(null)
    })
  })
}

function parseBody(raw: string, contentType: string, tooLarge: boolean): ReadBody {
  const out: ReadBody = { raw, json: undefined, form: undefined, jsonError: false, tooLarge }
  if (raw.length === 0) return out
  const type = contentType.toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) {
    out.form = Object.fromEntries(new URLSearchParams(raw))
    return out
  }
  const trimmed = raw.trimStart()
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      out.json = JSON.parse(raw)
    } catch {
      out.jsonError = true
    }
  }
  return out
}

/** Headers as a lower-case record; repeated values joined. */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  })
  res.end(payload)
}

export interface SendTextOptions {
  /** Value of the `content-type` header. */
  contentType: string
  /** Extra response headers. @default {} */
  headers?: OutgoingHttpHeaders
}

export function sendText(res: ServerResponse, status: number, text: string, options: SendTextOptions): void {
  res.writeHead(status, {
    ...(options.headers ?? {}),
    'content-type': options.contentType,
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** Answer with an HTML page titled `title`. */
export function sendHtml(res: ServerResponse, status: number, title: string, bodyHtml: string): void {
  sendText(res, status, htmlPage(title, bodyHtml), { contentType: 'text/html; charset=utf-8' })
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

function htmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${bodyHtml}</body></html>`
}

/** An empty body, for routes reached without one. */
export function emptyBody(): ReadBody {
  return { raw: '', json: undefined, form: undefined, jsonError: false, tooLarge: false }
}

/** The bearer token of an `Authorization` header, or null. */
export function toBearer(header: string | undefined): string | null {
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? (match[1] as string) : null
}

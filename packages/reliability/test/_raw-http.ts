// Raw HTTP/1.1 over a TCP socket, for what fetch cannot send (lying Content-Length, odd methods,
// malformed paths, slow or paused readers, disconnects in the middle of a body).
import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  /** The body as received (chunked transfer decoded). */
  body: Buffer
  /** Everything received, headers included. */
  raw: Buffer
}

/** Parse one HTTP/1.1 response (status line, headers, fixed or chunked body) from `raw`. */
export function parseResponse(raw: Buffer): RawResponse | null {
  // Skip interim 1xx answers (e.g. 100 Continue) that precede the final one.
  while (/^HTTP\/1\.[01] 1\d\d/.test(raw.subarray(0, 16).toString('latin1'))) {
    const end = raw.indexOf('\r\n\r\n')
    if (end < 0) return null
    raw = raw.subarray(end + 4)
  }
  const headEnd = raw.indexOf('\r\n\r\n')
  if (headEnd < 0) return null
  const head = raw.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = Number(head[0]?.split(' ')[1])
  const headers: Record<string, string> = {}
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let rest = raw.subarray(headEnd + 4)
  let body: Buffer
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = []
    for (;;) {
      const lineEnd = rest.indexOf('\r\n')
      if (lineEnd < 0) break
      const size = Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16)
      if (!Number.isFinite(size) || size === 0) break
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      rest = rest.subarray(lineEnd + 2 + size + 2)
    }
    body = Buffer.concat(parts)
  } else if (headers['content-length'] !== undefined) {
    body = rest.subarray(0, Number(headers['content-length']))
  } else body = rest
  return { status, headers, body, raw }
}

/** Open a socket to `url`'s host:port. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/**
 * Send `request` (already framed bytes) on a fresh connection and collect the whole answer until
 * the server closes the connection or `timeoutMs` passes (then the socket is destroyed).
 */
export async function rawRequest(
  url: string,
  request: Buffer | string,
  timeoutMs = 5000,
): Promise<{ raw: Buffer; response: RawResponse | null; closedByServer: boolean; error: Error | null }> {
  const socket = await openSocket(url)
  const chunks: Buffer[] = []
  return new Promise((resolve) => {
    let settled = false
    let error: Error | null = null
    const finish = (closedByServer: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const raw = Buffer.concat(chunks)
      resolve({ raw, response: parseResponse(raw), closedByServer, error })
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
    })
    socket.on('error', (e) => {
      error = e
    })
    socket.on('close', () => finish(true))
    socket.write(request)
  })
}

/** Frame an HTTP/1.1 request with `Connection: close` (and Content-Length for a body, unless given). */
export function frameRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`]
  const lower = new Set(Object.keys(headers).map((k) => k.toLowerCase()))
  if (!lower.has('host')) lines.push('host: 127.0.0.1')
  if (!lower.has('connection')) lines.push('connection: close')
  if (body !== undefined && !lower.has('content-length') && !lower.has('transfer-encoding'))
    lines.push(`content-length: ${Buffer.byteLength(body)}`)
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  return body === undefined ? head : Buffer.concat([head, Buffer.from(body)])
}

// A hand-written Codex backend for the few faults the emulator does not script: exact bytes on the
// wire (split UTF-8 sequences, CRLF framing, comment lines) and in-band errors after content.
// It is a real node:http server on 127.0.0.1:0 (no HTTP mocking); it does not check credentials.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RawUpstream {
  /** `http://127.0.0.1:PORT/backend-api/codex` */
  backendUrl: string
  /** POST /responses calls received. */
  calls: number
  close(): Promise<void>
}

/** Write `chunks` with `gapMs` between them, then end (or destroy the socket when `cut`). */
export async function writeChunks(
  res: ServerResponse,
  chunks: (Buffer | string)[],
  gapMs = 5,
  cut = false,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.flushHeaders()
  for (const chunk of chunks) {
    if (res.destroyed) return
    res.write(chunk)
    await new Promise((resolve) => setTimeout(resolve, gapMs))
  }
  if (cut) res.destroy()
  else res.end()
}

export async function startRawUpstream(
  onResponses: (req: IncomingMessage, res: ServerResponse, call: number) => void | Promise<void>,
): Promise<RawUpstream> {
  let calls = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.startsWith('/backend-api/codex/responses')) {
        calls++
        void Promise.resolve(onResponses(req, res, calls)).catch(() => res.destroy())
        return
      }
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"detail":"Not Found"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    backendUrl: `http://127.0.0.1:${port}/backend-api/codex`,
    get calls() {
      return calls
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The usual opening of a Responses stream, then one message whose text arrives as `deltas`. */
export function responseEvents(deltas: string[], id = 'resp_raw_1'): Record<string, unknown>[] {
  const response = { id, object: 'response', status: 'in_progress', model: 'gpt-5.5', output: [] }
  const text = deltas.join('')
  const at = { item_id: 'msg_raw_1', output_index: 0, content_index: 0 }
  const item = {
    id: 'msg_raw_1',
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', annotations: [], text }],
  }
  return [
    { type: 'response.created', response },
    { type: 'response.in_progress', response },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    },
    { type: 'response.content_part.added', ...at, part: { type: 'output_text', annotations: [], text: '' } },
    ...deltas.map((delta) => ({ type: 'response.output_text.delta', ...at, delta })),
    { type: 'response.output_text.done', ...at, text },
    { type: 'response.content_part.done', ...at, part: { type: 'output_text', annotations: [], text } },
    { type: 'response.output_item.done', output_index: 0, item },
    {
      type: 'response.completed',
      response: {
        ...response,
        status: 'completed',
        output: [item],
        usage: {
          input_tokens: 5,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 3,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 8,
        },
      },
    },
  ]
}

/** Standard `event:`/`data:` framing with LF line endings. */
export function frame(event: Record<string, unknown>, eol = '\n'): string {
  return `event: ${String(event.type)}${eol}data: ${JSON.stringify(event)}${eol}${eol}`
}

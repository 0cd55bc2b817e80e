import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { sendJson } from './_internal/http'
import { UpstreamEmulatorError } from './errors'

/** A listening HTTP server. */
export interface Listener {
  /** The bound port. */
  port: number
  /** Stop listening and destroy every connection; resolves once the server closed. */
  close(): Promise<void>
}

/** Where to listen and what to run per request. */
export interface ListenOptions {
  host: string
  port: number
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  /** The `upgrade` listener (the backend's Responses WebSocket). */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
}

/** Answer a request whose handler threw: 500 when nothing was sent yet, else drop the socket. */
function internalError(res: ServerResponse, error: unknown): void {
  if (!res.headersSent) {
    sendJson(res, 500, {
      error: {
        message: `Emulator internal error: ${error instanceof Error ? error.message : String(error)}`,
        type: 'server_error',
        param: null,
        code: null,
      },
    })
  } else {
    res.destroy()
  }
}

/** Start the HTTP server. Rejects with `emulator_listen_failed`. */
export async function listen(options: ListenOptions): Promise<Listener> {
  const { host, port, handle, upgrade } = options
  const server = createServer(
    { keepAlive: true, noDelay: true, requestTimeout: 0, headersTimeout: 60_000 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => internalError(res, error))
    },
  )
  if (upgrade) server.on('upgrade', upgrade)
  server.keepAliveTimeout = 65_000
  server.maxHeadersCount = 0
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new UpstreamEmulatorError(
          'emulator_listen_failed',
          `The upstream emulator could not listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      )
    }
    server.once('error', onError)
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
      }),
  }
}

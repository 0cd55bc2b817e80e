import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from 'h3'
import { buildRelay } from './app'
import { shuttingDownError } from './_internal/context'
import type { ServeRelayOptions } from './options'

/** A listening relay. */
export interface RelayServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (clients use `${url}/v1`). */
  readonly url: string
  /** The underlying `node:http` server. */
  readonly server: Server
  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish within the grace period,
   * then end open streams with an in-band error event (no `[DONE]`), abort their upstream calls,
   * close the remaining sockets and flush the traffic log. Idempotent; `close({ force: true })`
   * skips the grace period.
   */
  close(options?: { force?: boolean }): Promise<void>
}

const DEFAULT_GRACE_MS = 10_000
/** After the deadline, how long aborted streams get to write their error event before sockets are cut. */
const FINAL_FLUSH_MS = 1_000

function formatUrl(address: AddressInfo): string {
  const host =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * Listen with the relay (default `config.server.host`:`config.server.port`, i.e. 127.0.0.1:8080;
 * port 0 picks a free port). Resolves once listening.
 *
 * @example
 * const relay = await serveRelay({ config, port: 0 })
 * console.log(`${relay.url}/v1`)
 * await relay.close()
 */
export async function serveRelay(options: ServeRelayOptions): Promise<RelayServer> {
  const built = buildRelay(options)
  const { runtime } = built
  const graceMs = options.shutdownGraceMs ?? DEFAULT_GRACE_MS
  const server = createServer({ requestTimeout: 0 }, toNodeHandler(built.app))
  const host = options.host ?? options.config.server.host
  const port = options.port ?? options.config.server.port

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  }).catch(async (error: unknown) => {
    await built.close()
    throw error
  })

  const address = server.address() as AddressInfo
  const url = formatUrl(address)
  let closing: Promise<void> | null = null
  let forceNow: (() => void) | null = null

  const shutdown = async (force: boolean): Promise<void> => {
    runtime.lifecycle.beginDrain()
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    if (!force) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        runtime.lifecycle.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs)
          forceNow = resolve
        }),
      ])
      if (timer) clearTimeout(timer)
    }
    forceNow = null
    runtime.lifecycle.terminateAll(shuttingDownError())
    // Let the last responses and the terminated streams reach their clients: connections close
    // once idle; whatever is still open after the final flush window is cut.
    let flushTimer: NodeJS.Timeout | undefined
    const sweep = setInterval(() => server.closeIdleConnections(), 25)
    server.closeIdleConnections()
    await Promise.race([
      listenerClosed,
      new Promise<void>((resolve) => {
        flushTimer = setTimeout(resolve, force ? 100 : FINAL_FLUSH_MS)
      }),
    ])
    clearInterval(sweep)
    if (flushTimer) clearTimeout(flushTimer)
    server.closeAllConnections()
    await listenerClosed
    await built.close()
    detachSignals()
  }

  const close = (closeOptions: { force?: boolean } = {}): Promise<void> => {
    if (closing) {
      if (closeOptions.force) forceNow?.()
      return closing
    }
    closing = shutdown(closeOptions.force === true)
    return closing
  }

  const onSignal = (): void => {
    if (closing) {
      forceNow?.()
      return
    }
    void close().catch((error: unknown) => {
      runtime.logger.error(
        `AIRelays shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
      )
    })
  }
  const detachSignals = (): void => {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
  if (options.handleSignals) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }

  return { url, server, close }
}

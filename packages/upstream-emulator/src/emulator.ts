import { createApi } from './control/api'
import { dispatch } from './dispatch'
import { resolveOptions } from './options'
import { listen } from './server'
import { createState } from './state'
import type { UpstreamEmulator, UpstreamEmulatorOptions } from './types'

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/**
 * Start a real local OAuth issuer + Codex backend on `host:port` (default `127.0.0.1:0`).
 * Throws `UpstreamEmulatorError` (`emulator_invalid_option`, `emulator_listen_failed`).
 *
 * Composition only: options → one state object → HTTP server dispatching to the issuer,
 * backend and control modules → the JavaScript API over the same state.
 */
export async function createUpstreamEmulator(
  options: UpstreamEmulatorOptions = {},
): Promise<UpstreamEmulator> {
  const config = resolveOptions(options)
  const state = createState(config)
  const listener = await listen({
    host: config.host,
    port: config.port,
    handle: (req, res) => dispatch(state, req, res),
  })
  state.baseUrl = `http://${formatHost(config.host)}:${listener.port}`
  return createApi(state, listener.close)
}

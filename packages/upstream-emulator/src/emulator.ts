import { registerAccount } from './accounts'
import { createResponsesSocketServer } from './backend/stream/websocket'
import { createApi } from './control/api'
import { dispatch } from './dispatch'
import { resolveOptions } from './options'
import { listen } from './server'
import { createState } from './state'
import type { UpstreamEmulator, UpstreamEmulatorOptions } from './types'

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

// Module map (each module owns one group of the single `EmulatorState`, see state.ts):
//   options.ts    option validation and defaults
//   state.ts      the state object, reset(), the timers close() stops
//   server.ts     the HTTP listener and its shutdown
//   dispatch.ts   path -> route -> handler; 404, 405, 413
//   recording.ts  recorded requests, waitFor(), counters
//   accounts.ts   whom logins and minted tokens belong to; registered accounts with their own
//                 usage figures and model lists
//   behaviours/   scripted behaviours: rules, queue, the pre kinds applied on arrival
//   issuer/       OAuth: authorize, token grants and revoke, device login, codes, minting
//   backend/      Codex backend: responses, catalog (models), usage (+ x-codex-* headers), auth,
//                 request validation, reply plans
//   backend/stream/  script (what one answer sends), events (the Responses event list),
//                 token-count (usage object, prompt cache), pacer (timing), sse (the transport),
//                 websocket (the Responses WebSocket: same script and pacer, `upgrade` of server.ts)
//   control/      the JavaScript API, and the same operations over HTTP under /__emulator/

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
  config.accounts.forEach((account, i) => {
    try {
      registerAccount(state, account)
    } catch (error) {
      if (error instanceof Error) error.message = `accounts[${i}]: ${error.message}`
      throw error
    }
  })
  const listener = await listen({
    host: config.host,
    port: config.port,
    handle: (req, res) => dispatch(state, req, res),
    upgrade: createResponsesSocketServer(state).upgrade,
  })
  state.baseUrl = `http://${formatHost(config.host)}:${listener.port}`
  return createApi(state, listener.close)
}

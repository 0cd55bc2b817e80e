import type { H3 } from 'h3'
import { methodNotAllowed } from '../errors/factories'
import { upgradeRefused } from './frames'

/**
 * `GET /v1/responses` inside h3 (an app mounted in a host or served by `app.fetch`, where the relay
 * does not own the Node server, or any upgrade `serveRelay` did not take): a WebSocket upgrade gets
 * 426 with the reason, so Codex falls back to HTTP at once instead of retrying; a plain GET keeps
 * the 405 of a POST-only route.
 */
export function registerUpgradeRefusal(app: H3, prefix: '/v1' | '/no-tools/v1'): void {
  app.on('GET', `${prefix}/responses`, (event) => {
    if ((event.req.headers.get('upgrade') ?? '').toLowerCase() === 'websocket') {
      throw upgradeRefused(
        'This relay serves the Responses WebSocket only when it runs its own server (serveRelay).',
      )
    }
    throw methodNotAllowed('GET', ['POST'])
  })
}

import { rotateRelayToken } from '@airelays/auth-store'
import { relayError } from '../errors/factories'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

/**
 * `POST /v1/relay/token/rotate`: write a new relay token to the token file (what `airelays token
 * rotate` does) and answer it once; the old token is refused from the next request on. A token
 * given by `AIRELAYS_BEARER_TOKEN` or an option cannot be rotated here (409).
 */
export function relayTokenRotate(rt: RelayRuntime): RelayHandler {
  return async (req) => {
    const file = rt.settings.config.security.bearer_token_file
    const current = await rt.tokens.current()
    if (current.source === 'env' || current.source === 'memory' || !file) {
      throw relayError({
        status: 409,
        type: 'invalid_request_error',
        code: 'invalid_request',
        param: null,
        message:
          'The relay token comes from AIRELAYS_BEARER_TOKEN or the relay options, not from the token file, so it cannot be rotated here; change it where it is set.',
      })
    }
    const rotated = await rotateRelayToken(file)
    rt.secrets.add(rotated.token, 'relay')
    rt.log.write(req.id, 'relay_token_rotated', { fingerprint: rotated.fingerprint })
    return req.json({ object: 'relay.token', token: rotated.token, fingerprint: rotated.fingerprint })
  }
}

import type { OutgoingHttpHeaders } from 'node:http'
import type { EmulatorState } from '../state'
import { codexHeaders } from './usage'

/**
 * Headers of every backend answer: request ids, the catalog etag and the `x-codex-*` figures (of
 * `accountId` once the caller is known).
 */
export function backendHeaders(
  state: EmulatorState,
  requestId: string,
  plan: string,
  accountId?: string,
): OutgoingHttpHeaders {
  return {
    'x-request-id': requestId,
    'x-oai-request-id': requestId,
    'x-models-etag': state.backend.catalog.etag,
    ...codexHeaders(state, plan, undefined, accountId),
  }
}

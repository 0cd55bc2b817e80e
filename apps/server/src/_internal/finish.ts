import type { RequestState } from './context'
import type { RelayRuntime } from './runtime'

/**
 * End a request: free its concurrency slot, drop it from the in-flight set and write the
 * `outbound_response` record. Idempotent.
 */
export function finishRequest(
  rt: RelayRuntime,
  state: RequestState,
  status: number,
  outcome: 'completed' | 'failed' | 'client_disconnected' | 'terminated' = 'completed',
): void {
  if (state.finished) return
  state.finished = true
  state.release?.()
  state.release = null
  rt.lifecycle.remove(state)
  if (!state.logged) return
  if (outcome === 'client_disconnected' || status === 499) {
    rt.log.write(state.id, 'client_disconnected', {
      method: state.method,
      path: state.basePath + state.path,
      duration_ms: rt.now() - state.startedAt,
    })
  }
  if (!state.inboundLogged) return
  rt.log.write(state.id, 'outbound_response', {
    status_code: status,
    duration_ms: rt.now() - state.startedAt,
    ...(outcome === 'completed' ? {} : { outcome }),
    ...state.outboundExtra,
    ...(state.outboundBody === undefined ? {} : { body: state.outboundBody }),
  })
}

import { registerAccount, setLoginAccount } from '../accounts'
import { setUsage } from '../backend/usage'
import { script } from '../behaviours/queue'
import { approveDevice } from '../issuer/device'
import { issueTokens, storedAuth } from '../issuer/mint'
import { rejectWaiters, waitFor } from '../recording'
import { type EmulatorState, resetState, stopTimers } from '../state'
import type { EmulatorStats, UpstreamEmulator } from '../types'

/** The JavaScript API over the state; `closeServer` stops listening and drops connections. */
export function createApi(state: EmulatorState, closeServer: () => Promise<void>): UpstreamEmulator {
  const baseUrl = state.baseUrl
  let closing: Promise<void> | undefined
  return {
    url: baseUrl,
    backendUrl: `${baseUrl}/backend-api/codex`,
    clientId: state.config.clientId,
    requests: state.recording.requests,
    issueTokens: (opts) => issueTokens(state, opts),
    storedAuth: (opts) => storedAuth(state, opts),
    script: (...behaviours) => script(state, behaviours),
    waitFor: (predicate, timeoutMs) => waitFor(state, predicate, timeoutMs),
    stats: (): EmulatorStats => ({ ...state.recording.counters }),
    approveDevice: (userCode) => approveDevice(state, userCode),
    setUsage: (usage, accountId) => setUsage(state, usage, accountId),
    addAccount: (account) => registerAccount(state, account),
    setLoginAccount: (accountId) => setLoginAccount(state, accountId),
    revokeAllTokens: () => state.issuer.tokens.revokeAll(),
    reset: () => resetState(state),
    close(): Promise<void> {
      if (closing) return closing
      state.closed = true
      rejectWaiters(state)
      stopTimers(state)
      closing = closeServer()
      return closing
    },
  }
}

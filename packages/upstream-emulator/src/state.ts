import type { AccountRecord } from './accounts'
import { type Catalog, createCatalog } from './backend/catalog'
import type { PromptCache } from './backend/stream/token-count'
import { createUsage, type UsageState } from './backend/usage'
import type { AuthCode } from './issuer/codes'
import type { DeviceAuth } from './issuer/device'
import { TokenRegistry } from './issuer/tokens'
import type { EmulatorConfig } from './options'
import type { Waiter } from './recording'
import type { EmulatorBehaviour, EmulatorStats, RecordedRequest } from './types'

/**
 * Everything the running emulator remembers, in one object. Each group belongs to one module
 * (named beside it); the others read it through that module's functions.
 */
export interface EmulatorState {
  /** Resolved options; never changes. */
  readonly config: EmulatorConfig
  /** Issuer base URL, set once the server listens. */
  baseUrl: string
  /** `issuer/`: minted tokens, pending authorization codes and device logins. */
  readonly issuer: {
    readonly tokens: TokenRegistry
    readonly codes: Map<string, AuthCode>
    readonly devices: Map<string, DeviceAuth>
  }
  /** `backend/`: the model catalog, the usage figures and the prompt-cache memory. */
  readonly backend: {
    readonly catalog: Catalog
    readonly usage: UsageState
    readonly promptCache: PromptCache
  }
  /** `accounts.ts`: registered accounts and whom the next browser/device login signs in as. */
  readonly accounts: {
    readonly registry: Map<string, AccountRecord>
    login: string | null
  }
  /** `behaviours/`: scripted one-shot behaviours in the order they were queued. */
  readonly behaviours: EmulatorBehaviour[]
  /** `recording.ts`: recorded requests, pending `waitFor()` calls and counters. */
  readonly recording: {
    readonly requests: RecordedRequest[]
    readonly waiters: Set<Waiter>
    readonly counters: EmulatorStats
    sequence: number
  }
  /** Timers `close()` must stop: open streams' stop functions and `delay` sleeps. */
  readonly timers: {
    readonly streams: Set<() => void>
    readonly pauses: Map<NodeJS.Timeout, () => void>
  }
  closed: boolean
}

export function createState(config: EmulatorConfig): EmulatorState {
  const state: EmulatorState = {
    config,
    baseUrl: '',
    issuer: {
      tokens: new TokenRegistry(() => state.baseUrl, config.clientId),
      codes: new Map(),
      devices: new Map(),
    },
    backend: {
      catalog: createCatalog(config.models),
      usage: createUsage(config.usage),
      promptCache: new Map(),
    },
    accounts: { registry: new Map(), login: null },
    behaviours: [],
    recording: {
      requests: [],
      waiters: new Set(),
      counters: { inFlight: 0, completed: 0, aborted: 0 },
      sequence: 0,
    },
    timers: { streams: new Set(), pauses: new Map() },
    closed: false,
  }
  return state
}

/** `reset()`: forget behaviours, requests, counters, pending codes and prompt-cache memory. */
export function resetState(state: EmulatorState): void {
  state.behaviours.length = 0
  state.recording.requests.length = 0
  state.issuer.codes.clear()
  state.issuer.devices.clear()
  state.backend.promptCache.clear()
  state.recording.counters.completed = 0
  state.recording.counters.aborted = 0
}

/** A sleep that `close()` cuts short. */
export function pause(state: EmulatorState, ms: number): Promise<void> {
  const pauses = state.timers.pauses
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pauses.delete(timer)
      resolve()
    }, ms)
    pauses.set(timer, resolve)
  })
}

/** Stop every open stream and end every pending sleep. */
export function stopTimers(state: EmulatorState): void {
  for (const stop of state.timers.streams) stop()
  state.timers.streams.clear()
  for (const [timer, resolve] of state.timers.pauses) {
    clearTimeout(timer)
    resolve()
  }
  state.timers.pauses.clear()
}

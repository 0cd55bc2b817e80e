// Shared helpers for this package's tests (never exported from the barrel).
import type { ProxySettings } from './proxy'
import type { CredentialStore, ResponsesEvent, Sleep, StoredAuth } from './types'

/** Ignore any HTTP(S)_PROXY of the machine running the tests. */
export const NO_ENV_PROXY: ProxySettings = { httpProxy: '', httpsProxy: '', noProxy: '' }

/** A sleep that returns at once but records the requested delays (and honours abort). */
export function instantSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason
      delays.push(ms)
    },
  }
}

/** A fake clock advanced by the sleeps it hands out. */
export function fakeTime(start: number = Date.now()): {
  clock: () => number
  sleep: Sleep
  delays: number[]
} {
  let now = start
  const delays: number[] = []
  return {
    delays,
    clock: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason
      delays.push(ms)
      now += ms
    },
  }
}

/** An in-memory store that records saves. */
export function recordingStore(initial: StoredAuth | null): CredentialStore & {
  saves: StoredAuth[]
  current(): StoredAuth | null
  set(auth: StoredAuth | null): void
  loads: number
} {
  let value = initial ? structuredClone(initial) : null
  const store = {
    saves: [] as StoredAuth[],
    loads: 0,
    async load(): Promise<StoredAuth | null> {
      store.loads++
      return value ? structuredClone(value) : null
    },
    async save(auth: StoredAuth): Promise<void> {
      store.saves.push(structuredClone(auth))
      value = structuredClone(auth)
    },
    async delete(): Promise<void> {
      value = null
    },
    current: () => value,
    set: (auth: StoredAuth | null) => {
      value = auth ? structuredClone(auth) : null
    },
  }
  return store
}

/** A valid minimal Codex request body. */
export function codexBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-5.5',
    instructions: '',
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: pong' }] },
    ],
    store: false,
    stream: true,
    ...overrides,
  }
}

/** Drain an async iterable of events. */
export async function collect(stream: AsyncIterable<ResponsesEvent>): Promise<ResponsesEvent[]> {
  const out: ResponsesEvent[] = []
  for await (const event of stream) out.push(event)
  return out
}

/** The text of all output_text deltas. */
export function textOf(events: ResponsesEvent[]): string {
  return events
    .filter((e) => e.type === 'response.output_text.delta')
    .map((e) => String(e.delta))
    .join('')
}

/** Catch a rejection and return it (fails the test when the promise resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

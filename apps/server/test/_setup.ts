// The server's test harness: @airelays/test-utils' relay harness bound to this package's own
// serveRelay (from source), plus the official openai client pointed at the relay.
import {
  type RelayHarness as BaseHarness,
  type StartRelayOptions,
  startRelay as startTestRelay,
} from '@airelays/test-utils'
import OpenAI from 'openai'
import { afterEach } from 'vitest'
import { type RelayServer, type ServeRelayOptions, serveRelay } from '../src/index'

/** Options of {@link startRelay}. */
export type RelayHarnessOptions = Omit<StartRelayOptions<ServeRelayOptions, RelayServer>, 'serve'>

/** A relay on 127.0.0.1:0 in front of the upstream emulator, with a temp data dir. */
export interface RelayHarness extends BaseHarness<RelayServer> {
  /** `${relay.url}/v1` */
  baseURL: string
  /** The official openai client pointed at the relay (no SDK retries). */
  openai(options?: { apiKey?: string; baseURL?: string }): OpenAI
}

export async function startRelay(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const base = await startTestRelay<ServeRelayOptions, RelayServer>({
    tempPrefix: 'airelays-server-',
    ...options,
    serve: serveRelay,
  })
  const baseURL = `${base.url}/v1`
  return Object.assign(base, {
    baseURL,
    openai: (opts: { apiKey?: string; baseURL?: string } = {}): OpenAI =>
      new OpenAI({
        baseURL: opts.baseURL ?? baseURL,
        apiKey: opts.apiKey ?? (base.token || 'placeholder'),
        maxRetries: 0,
      }),
  })
}

/**
 * A relay per test: registers an afterEach that closes the relay the test started, and returns
 * the starter.
 */
export function relayPerTest(): (options?: RelayHarnessOptions) => Promise<RelayHarness> {
  let current: RelayHarness | null = null
  afterEach(async () => {
    await current?.close()
    current = null
  })
  return async (options = {}) => {
    current = await startRelay(options)
    return current
  }
}

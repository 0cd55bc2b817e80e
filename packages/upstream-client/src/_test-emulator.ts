// The emulator fixture shared by this package's client tests (never exported from the barrel):
// a fresh emulator per test, clients wired to it and closed after the test.
import {
  createUpstreamEmulator,
  type RecordedRequest,
  type UpstreamEmulator,
  type UpstreamEmulatorOptions,
} from '@airelays/upstream-emulator'
import { afterEach, beforeEach } from 'vitest'
import { instantSleep, NO_ENV_PROXY, recordingStore } from './_test-helpers'
import { createUpstreamClient } from './client'
import type { UpstreamClient } from './client-api'
import type { UpstreamClientOptions } from './client-options'

/** Options of {@link useEmulatorClients}. */
export interface EmulatorClientsOptions {
  /** Options of each test's emulator. */
  emulator?: UpstreamEmulatorOptions
  /** Client options every `client()` starts from (credentials default to the emulator's login). */
  client?: Partial<UpstreamClientOptions>
}

/** The current test's emulator and a way to make clients against it. */
export interface EmulatorClients {
  /** This test's emulator. */
  readonly emu: UpstreamEmulator
  /** A client against the emulator (instant sleeps, no proxy); closed after the test. */
  client(extra?: Partial<UpstreamClientOptions>): UpstreamClient
  /** The recorded requests of one emulator route. */
  byRoute(route: string): RecordedRequest[]
  /** Replaces this test's emulator with one made from other options. */
  restart(options: UpstreamEmulatorOptions): Promise<UpstreamEmulator>
}

/** Registers `beforeEach`/`afterEach` that start an emulator and close it and every client made. */
export function useEmulatorClients(options: EmulatorClientsOptions = {}): EmulatorClients {
  let emu: UpstreamEmulator | null = null
  const clients: UpstreamClient[] = []
  beforeEach(async () => {
    emu = await createUpstreamEmulator(options.emulator)
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await emu?.close()
    emu = null
  })
  const current = (): UpstreamEmulator => {
    if (!emu) throw new Error('useEmulatorClients: no emulator outside a test')
    return emu
  }
  return {
    get emu(): UpstreamEmulator {
      return current()
    },
    client(extra: Partial<UpstreamClientOptions> = {}): UpstreamClient {
      const e = current()
      const c = createUpstreamClient({
        baseUrl: e.backendUrl,
        issuerUrl: e.url,
        clientId: e.clientId,
        proxy: NO_ENV_PROXY,
        sleep: instantSleep().sleep,
        ...options.client,
        ...extra,
        credentials: extra.credentials ?? options.client?.credentials ?? recordingStore(e.storedAuth()),
      })
      clients.push(c)
      return c
    },
    byRoute: (route: string): RecordedRequest[] => current().requests.filter((r) => r.route === route),
    async restart(next: UpstreamEmulatorOptions): Promise<UpstreamEmulator> {
      await current().close()
      emu = await createUpstreamEmulator(next)
      return emu
    },
  }
}

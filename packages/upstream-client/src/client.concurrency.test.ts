import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { codexBody, collect, NO_ENV_PROXY, recordingStore } from './_test-helpers'
import { createUpstreamClient, isUpstreamError, type UpstreamClient } from './index'

// Acceptance criterion of the issue: the client must not queue concurrent streams behind a
// per-origin connection cap. Shown by counts, not by a stopwatch: 500 streams whose upstream
// holds the first event back are all in flight at the emulator at the same time (behind a pool of
// N connections, at most N would ever be). The speed of many streams is a `pnpm bench` figure (M4).
const STREAMS = 500

let emu: UpstreamEmulator
let upstream: UpstreamClient

beforeEach(async () => {
  emu = await createUpstreamEmulator({ events: 10, gapMs: 0, maxRecordedRequests: 0 })
  upstream = createUpstreamClient({
    baseUrl: emu.backendUrl,
    issuerUrl: emu.url,
    credentials: recordingStore(emu.storedAuth()),
    proxy: NO_ENV_PROXY,
  })
})

afterEach(async () => {
  await upstream.close()
  await emu.close()
})

async function until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('concurrency', () => {
  it(`${STREAMS} concurrent streams are all in flight upstream at once, none queued`, async () => {
    // Every stream delivers the same events as one stream does.
    const single = (await collect(await upstream.responses(codexBody({ input: 'hi' })))).length
    const unpaced = await Promise.all(
      Array.from(
        { length: STREAMS },
        async () => (await collect(await upstream.responses(codexBody({ input: 'hi' })))).length,
      ),
    )
    expect(unpaced).toEqual(Array.from({ length: STREAMS }, () => single))

    // Held streams: the upstream answers nobody before the test lets go, so only a client without
    // a connection cap gets every request there.
    emu.script(...Array.from({ length: STREAMS }, () => ({ kind: 'pace' as const, ttftMs: 600_000 })))
    const controller = new AbortController()
    const pending = Array.from({ length: STREAMS }, () =>
      upstream
        .responses(codexBody({ input: 'hi' }), { signal: controller.signal })
        .then(collect)
        .then(
          () => 'completed',
          (error: unknown) => (isUpstreamError(error) ? error.code : String(error)),
        ),
    )
    await until(() => emu.stats().inFlight === STREAMS, `${STREAMS} requests in flight`)
    controller.abort()
    expect(new Set(await Promise.all(pending))).toEqual(new Set(['aborted']))
    await until(() => emu.stats().inFlight === 0, 'every upstream request closed')
  }, 180_000)
})

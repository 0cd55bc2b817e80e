import { type UpstreamEmulator, createUpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NO_ENV_PROXY, codexBody, collect, recordingStore } from './_test-helpers'
import { createUpstreamClient } from './client'
import type { UpstreamClient } from './client-api'

// Acceptance criterion of the issue: the client must not queue concurrent streams behind a
// per-origin connection cap. 500 paced streams must finish in less than 1.5x the time one stream
// takes; behind a pool of N connections they would take about 500/N times longer.
//
// Pacing: 10 text deltas (18 events) 300 ms apart, so one stream lasts ~5 s. On this 2-core
// sandbox the client and the emulator share one event loop and each stream costs ~1 ms of CPU to
// start, so shorter streams would measure the machine rather than the client. Connections are
// opened by an unpaced warm-up round first (TCP handshakes of 500 sockets at once are slow in
// sandboxed network stacks and are not what this criterion is about). The best of three rounds
// counts, so a burst of load from other test files cannot fail it; a connection cap fails every
// round by a wide margin.
const STREAMS = 500
const PACE = { kind: 'pace' as const, events: 10, gapMs: 300 }

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

async function run(count: number, paced: boolean): Promise<{ ms: number; events: number[] }> {
  if (paced) emu.script(...Array.from({ length: count }, () => PACE))
  const started = performance.now()
  const events = await Promise.all(
    Array.from(
      { length: count },
      async () => (await collect(await upstream.responses(codexBody({ input: 'hi' })))).length,
    ),
  )
  return { ms: performance.now() - started, events }
}

describe('concurrency', () => {
  it(`${STREAMS} concurrent streams finish in under 1.5x the time of one`, async () => {
    const ratios: number[] = []
    for (let round = 0; round < 3; round++) {
      await run(STREAMS, false) // warm-up: open the connections
      const single = await run(1, true)
      const many = await run(STREAMS, true)
      expect(many.events).toHaveLength(STREAMS)
      expect(new Set(many.events)).toEqual(new Set(single.events))
      const ratio = many.ms / single.ms
      ratios.push(ratio)
      console.info(
        `round ${round + 1}: 1 stream ${single.ms.toFixed(0)} ms, ${STREAMS} streams ${many.ms.toFixed(0)} ms, ratio ${ratio.toFixed(2)}`,
      )
      if (ratio < 1.5) break
    }
    expect(Math.min(...ratios)).toBeLessThan(1.5)
  }, 120_000)
})

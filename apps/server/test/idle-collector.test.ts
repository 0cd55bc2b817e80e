import { describe, expect, it } from 'vitest'
import {
  createIdleCollector,
  gcOnFirstUse,
  type IdleCollectorClock,
  obtainGc,
} from '../src/request/idle-collector'
import { type InFlight, Lifecycle } from '../src/request/lifecycle'

/** A manual clock: timers fire only when the test advances time. */
function manualClock(): IdleCollectorClock & { advance(ms: number): void; pending(): number } {
  let now = 0
  let next = 0
  const timers = new Map<number, { at: number; callback: () => void }>()
  return {
    setTimeout(callback, ms) {
      const id = next++
      timers.set(id, { at: now + ms, callback })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    advance(ms) {
      now += ms
      for (const [id, timer] of [...timers]) {
        if (timer.at > now) continue
        timers.delete(id)
        timer.callback()
      }
    },
    pending: () => timers.size,
  }
}

function setup() {
  const clock = manualClock()
  let collections = 0
  const lifecycle = new Lifecycle()
  lifecycle.observe(createIdleCollector({ gc: () => collections++, quietMs: 5_000, clock }))
  const request = (): InFlight => ({ abort() {} })
  return { clock, lifecycle, request, collections: () => collections }
}

describe('idle collector (memory after a burst)', () => {
  it('collects after the quiet period that follows the last request, then once more', () => {
    const { clock, lifecycle, request, collections } = setup()
    const burst = Array.from({ length: 100 }, request)
    for (const r of burst) lifecycle.add(r)
    for (const r of burst) lifecycle.remove(r)
    clock.advance(4_999)
    expect(collections()).toBe(0)
    clock.advance(1)
    expect(collections()).toBe(1)
    clock.advance(5_000)
    expect(collections()).toBe(2)
    clock.advance(600_000)
    expect(collections()).toBe(2)
    expect(clock.pending()).toBe(0)
  })

  it('with collections: 1, one collection per quiet period', () => {
    const clock = manualClock()
    let collections = 0
    const collector = createIdleCollector({ gc: () => collections++, quietMs: 5_000, clock, collections: 1 })
    collector.busy()
    collector.idle()
    clock.advance(600_000)
    expect(collections).toBe(1)
    expect(clock.pending()).toBe(0)
  })

  it('a request between the two collections cancels the second', () => {
    const { clock, lifecycle, request, collections } = setup()
    const a = request()
    lifecycle.add(a)
    lifecycle.remove(a)
    clock.advance(5_000)
    expect(collections()).toBe(1)
    lifecycle.add(a)
    clock.advance(60_000)
    expect(collections()).toBe(1)
    lifecycle.remove(a)
    clock.advance(5_000)
    expect(collections()).toBe(2)
  })

  it('never collects while a request is in flight', () => {
    const { clock, lifecycle, request, collections } = setup()
    const a = request()
    const b = request()
    lifecycle.add(a)
    lifecycle.add(b)
    lifecycle.remove(a)
    clock.advance(60_000)
    expect(collections()).toBe(0)
    expect(clock.pending()).toBe(0)
  })

  it('a request during the quiet period cancels it; the period restarts when it ends', () => {
    const { clock, lifecycle, request, collections } = setup()
    const a = request()
    lifecycle.add(a)
    lifecycle.remove(a)
    clock.advance(3_000)
    const b = request()
    lifecycle.add(b)
    clock.advance(10_000)
    expect(collections()).toBe(0)
    lifecycle.remove(b)
    clock.advance(4_999)
    expect(collections()).toBe(0)
    clock.advance(1)
    expect(collections()).toBe(1)
  })

  it('does not collect again while the relay stays idle, nor before any traffic', () => {
    const { clock, lifecycle, request, collections } = setup()
    clock.advance(60_000)
    expect(collections()).toBe(0)
    const a = request()
    lifecycle.add(a)
    lifecycle.remove(a)
    clock.advance(5_000)
    expect(collections()).toBe(1)
    clock.advance(600_000)
    expect(collections()).toBe(2)
    expect(clock.pending()).toBe(0)
    // A removal of something not in flight is not traffic.
    lifecycle.remove(a)
    clock.advance(600_000)
    expect(collections()).toBe(2)
    // The next burst earns the next collections.
    lifecycle.add(a)
    lifecycle.remove(a)
    clock.advance(5_000)
    expect(collections()).toBe(3)
  })

  it('close() cancels a pending collection; without a gc function nothing is scheduled', () => {
    const clock = manualClock()
    let collections = 0
    const collector = createIdleCollector({ gc: () => collections++, clock })
    collector.busy()
    collector.idle()
    collector.close()
    clock.advance(60_000)
    expect(collections).toBe(0)
    const none = createIdleCollector({ gc: null, clock })
    none.busy()
    none.idle()
    expect(clock.pending()).toBe(0)
  })

  it('obtains V8’s full collection without leaving a global gc behind', () => {
    const hadGlobal = typeof (globalThis as { gc?: unknown }).gc === 'function'
    const gc = obtainGc()
    expect(typeof gc).toBe('function')
    expect(obtainGc()).toBe(gc)
    gc?.()
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGlobal)
  })

  it('gcOnFirstUse obtains the collection on its first run, once, and tolerates none', () => {
    let obtained = 0
    let collections = 0
    const gc = gcOnFirstUse(() => {
      obtained++
      return () => collections++
    })
    expect(obtained).toBe(0)
    gc()
    gc()
    expect([obtained, collections]).toEqual([1, 2])
    let tries = 0
    const none = gcOnFirstUse(() => {
      tries++
      return null
    })
    none()
    none()
    expect(tries).toBe(1)
  })
})

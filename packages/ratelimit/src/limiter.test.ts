import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRateLimiterError, RateLimiterError } from './errors'
import { createRateLimiter } from './limiter'
import type { RateLimitRejection } from './rejections'
import { createMemoryStore } from './store'
import type { AdmitOptions, RateLimiter, RateLimiterOptions } from './types'

/** A clock (a function returning milliseconds) the test sets (`t`) or moves (`advance`) by hand. */
interface FakeClock {
  (): number
  t: number
  advance(ms: number): void
}

function fakeClock(start = 0): FakeClock {
  const clock = (() => clock.t) as FakeClock
  clock.t = start
  clock.advance = (ms: number) => {
    clock.t += ms
  }
  return clock
}

type Token = 'good' | 'bad' | 'none'
type Outcome = { status: 200 | 401 } | { status: 429; code: string; retryAfter: number }

/**
 * What the relay's security middleware does, in the reference order: admit (block → concurrency →
 * rate, then one token and one slot), then the bearer check; a bad token frees the slot at once and
 * counts a failure.
 */
function request(limiter: RateLimiter, ip: string, token: Token): Outcome {
  const admission = limiter.admit(ip, { credentialValid: token === 'good' })
  if (!admission.ok) {
    return { status: 429, code: admission.rejection.code, retryAfter: admission.rejection.retryAfterSeconds }
  }
  admission.release()
  if (token !== 'good') {
    limiter.recordFailure(ip)
    return { status: 401 }
  }
  return { status: 200 }
}

function rejected(limiter: RateLimiter, ip: string, options?: AdmitOptions): RateLimitRejection {
  const admission = limiter.admit(ip, options)
  if (admission.ok) throw new Error(`expected a rejection for ${ip}`)
  return admission.rejection
}

const RATE: Omit<RateLimitRejection, 'retryAfterSeconds'> = {
  status: 429,
  type: 'rate_limit_error',
  code: 'rate_limit_exceeded',
  message: 'Request rate limit exceeded for this IP.',
  reason: 'request_rate_limit',
}
const CONCURRENCY: RateLimitRejection = {
  status: 429,
  type: 'rate_limit_error',
  code: 'too_many_concurrent_requests',
  message: 'Too many concurrent requests from this IP.',
  reason: 'concurrency_limit',
  retryAfterSeconds: 1,
}
const BLOCKED: Omit<RateLimitRejection, 'retryAfterSeconds'> = {
  status: 429,
  type: 'rate_limit_error',
  code: 'ip_temporarily_blocked',
  message: 'Too many invalid authentication attempts from this IP.',
  reason: 'auth_block_active',
}

describe('createRateLimiter settings', () => {
  it('uses the reference defaults', () => {
    expect(createRateLimiter().settings).toEqual({
      perMinute: 120,
      burst: 40,
      maxConcurrent: 50,
      failedAuthMaxAttempts: 8,
      failedAuthWindowSeconds: 300,
      failedAuthBlockSeconds: 900,
      exemptLoopbackWithValidCredential: true,
      maxTrackedClients: 100_000,
      idleSeconds: 3600,
    })
  })

  it('derives the idle horizon as max(window, block, 3600, time to refill the bucket)', () => {
    expect(createRateLimiter({ failedAuthBlockSeconds: 7200 }).settings.idleSeconds).toBe(7200)
    expect(createRateLimiter({ failedAuthWindowSeconds: 5000 }).settings.idleSeconds).toBe(5000)
    expect(createRateLimiter({ perMinute: 1, burst: 100 }).settings.idleSeconds).toBe(6000)
  })

  it('treats undefined options as defaults', () => {
    const limiter = createRateLimiter({ perMinute: undefined, burst: undefined, clock: undefined })
    expect(limiter.settings.perMinute).toBe(120)
    expect(limiter.settings.burst).toBe(40)
  })

  it.each<[string, RateLimiterOptions | unknown]>([
    ['perMinute', { perMinute: 0 }],
    ['perMinute', { perMinute: -1 }],
    ['perMinute', { perMinute: Number.NaN }],
    ['perMinute', { perMinute: Number.POSITIVE_INFINITY }],
    ['perMinute', { perMinute: '120' }],
    ['burst', { burst: 0 }],
    ['burst', { burst: 1.5 }],
    ['burst', { burst: null }],
    ['maxConcurrent', { maxConcurrent: 0 }],
    ['failedAuthMaxAttempts', { failedAuthMaxAttempts: 2.5 }],
    ['failedAuthWindowSeconds', { failedAuthWindowSeconds: 0 }],
    ['failedAuthBlockSeconds', { failedAuthBlockSeconds: -60 }],
    ['maxTrackedClients', { maxTrackedClients: 0 }],
    ['exemptLoopbackWithValidCredential', { exemptLoopbackWithValidCredential: 'yes' }],
    ['clock', { clock: {} }],
    ['clock', { clock: { now: () => 5 } }],
    ['clock', { clock: () => Number.NaN }],
    ['clock', { clock: () => '5' }],
    ['store', { store: { get() {}, set() {} } }],
    ['store', { store: 'memory' }],
    ['store', { store: { get() {}, set() {}, delete() {}, entries() {}, clear() {} } }],
    ['perMinut', { perMinut: 60 }],
    ['options', 'fast'],
    ['options', null],
    ['options', []],
  ])('rejects an invalid %s with a typed error', (option, options) => {
    let caught: unknown
    try {
      createRateLimiter(options as RateLimiterOptions)
    } catch (error) {
      caught = error
    }
    expect(isRateLimiterError(caught)).toBe(true)
    expect(caught).toBeInstanceOf(RangeError)
    expect(caught).toBeInstanceOf(RateLimiterError)
    const error = caught as RateLimiterError
    expect(error.code).toBe('ratelimit_invalid_option')
    expect(error.option).toBe(option)
    expect(error.name).toBe('RateLimiterError')
    expect(error.message).toContain(option === 'options' ? 'options' : `"${option}"`)
  })

  it('isRateLimiterError recognises only its own errors', () => {
    expect(isRateLimiterError(new RangeError('x'))).toBe(false)
    expect(isRateLimiterError({ code: 'ratelimit_invalid_option' })).toBe(false)
    expect(isRateLimiterError(null)).toBe(false)
    expect(isRateLimiterError('ratelimit_invalid_option')).toBe(false)
  })

  it('starts no timer or handle that would keep the process alive', () => {
    const before = process.getActiveResourcesInfo().slice().sort()
    const limiter = createRateLimiter()
    for (let i = 0; i < 100; i++) limiter.admit(`10.0.0.${i}`)
    limiter.snapshot()
    expect(process.getActiveResourcesInfo().slice().sort()).toEqual(before)
  })
})

describe('token bucket (R1)', () => {
  it('serves the burst of 40, rejects the 41st with Retry-After 1, then refills 2 per second', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock })
    for (let i = 0; i < 40; i++) {
      const admission = limiter.admit('203.0.113.5')
      expect(admission.ok).toBe(true)
      if (admission.ok) {
        expect(admission.remaining).toBe(39 - i)
        admission.release()
      }
    }
    expect(rejected(limiter, '203.0.113.5')).toEqual({ ...RATE, retryAfterSeconds: 1 })
    clock.advance(1000)
    expect(limiter.admit('203.0.113.5').ok).toBe(true)
    expect(limiter.admit('203.0.113.5').ok).toBe(true)
    expect(rejected(limiter, '203.0.113.5').code).toBe('rate_limit_exceeded')
  })

  it('take() follows the same bucket: 40 allowed, then whole-second retry hints', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock })
    for (let i = 0; i < 40; i++) expect(limiter.take('k')).toEqual({ allowed: true, remaining: 39 - i })
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    clock.advance(500)
    expect(limiter.take('k')).toEqual({ allowed: true, remaining: 0 })
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 })
  })

  it('a free admission takes a slot but no token, except while the address is blocked', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, burst: 3, maxConcurrent: 2 })
    const held = [1, 2].map(() => limiter.admit('203.0.113.7', { credentialValid: true, free: true }))
    expect(held.every((a) => a.ok)).toBe(true)
    expect(rejected(limiter, '203.0.113.7', { credentialValid: true, free: true })).toEqual(CONCURRENCY)
    for (const a of held) if (a.ok) a.release()
    for (let i = 0; i < 10; i++) {
      const a = limiter.admit('203.0.113.7', { credentialValid: true, free: true })
      expect(a.ok).toBe(true)
      if (a.ok) a.release()
    }
    expect(limiter.take('203.0.113.7')).toEqual({ allowed: true, remaining: 2 })
    for (let i = 0; i < 8; i++) limiter.recordFailure('203.0.113.7')
    // Blocked: a free request from a routable address is refused like any other and pays a token.
    expect(rejected(limiter, '203.0.113.7', { credentialValid: true, free: true }).code).toBe(
      'ip_temporarily_blocked',
    )
    expect(limiter.take('203.0.113.7')).toEqual({ allowed: true, remaining: 0 })
  })

  it('never fills above the burst however long the client was away', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, burst: 3 })
    limiter.take('k')
    clock.advance(10 * 60_000)
    expect(limiter.take('k')).toEqual({ allowed: true, remaining: 2 })
  })

  it('keys are independent', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), burst: 1 })
    expect(limiter.take('a').allowed).toBe(true)
    expect(limiter.take('a').allowed).toBe(false)
    expect(limiter.take('b').allowed).toBe(true)
  })

  it('hints ceil(time to one token) when the refill is slower than one per second', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, perMinute: 6, burst: 1 }) // one token per 10 s
    expect(limiter.take('k').allowed).toBe(true)
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 10 })
    clock.advance(2600) // 7.4 s to the next token
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 8 })
    expect(rejected(limiter, 'k')).toEqual({ ...RATE, retryAfterSeconds: 8 })
    clock.advance(7399)
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    clock.advance(1)
    expect(limiter.take('k')).toEqual({ allowed: true, remaining: 0 })
  })

  it('counts a token that is complete up to float noise (7 per minute)', () => {
    const clock = fakeClock(0.1)
    const limiter = createRateLimiter({ clock, perMinute: 7, burst: 1 })
    expect(limiter.take('k').allowed).toBe(true)
    clock.advance(60_000 / 7)
    expect(limiter.take('k').allowed).toBe(true)
  })

  it('a clock that goes backwards or returns NaN adds no tokens and throws nothing', () => {
    const clock = fakeClock(1_000_000)
    const limiter = createRateLimiter({ clock, burst: 1, perMinute: 60 })
    expect(limiter.take('k').allowed).toBe(true)
    clock.t = 0
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    clock.t = Number.NaN
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    clock.t = 1_001_000
    expect(limiter.take('k').allowed).toBe(true)
  })
})

describe('concurrency slots (R4)', () => {
  it('60 acquires with a cap of 50: 10 rejected with Retry-After 1; counts return to 0', () => {
    const limiter = createRateLimiter({ clock: fakeClock() })
    const releases: Array<() => void> = []
    let rejectedCount = 0
    for (let i = 0; i < 60; i++) {
      const slot = limiter.acquire('198.51.100.9')
      if (slot.ok) releases.push(slot.release)
      else {
        expect(slot).toEqual({ ok: false, retryAfterSeconds: 1 })
        rejectedCount++
      }
    }
    expect(rejectedCount).toBe(10)
    expect(limiter.snapshot('198.51.100.9').client?.active_requests).toBe(50)
    expect(limiter.snapshot().active_clients).toBe(1)
    for (const release of releases) {
      release()
      release() // double release frees once
    }
    const after = limiter.snapshot('198.51.100.9')
    expect(after.client?.active_requests).toBe(0)
    expect(after.active_clients).toBe(0)
    expect(limiter.acquire('198.51.100.9').ok).toBe(true)
  })

  it('admit rejects the 51st concurrent request with the reference body and takes no token for it', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), burst: 100 })
    const held: Array<() => void> = []
    for (let i = 0; i < 50; i++) {
      const admission = limiter.admit('198.51.100.9')
      if (!admission.ok) throw new Error('expected admission')
      held.push(admission.release)
    }
    expect(rejected(limiter, '198.51.100.9')).toEqual(CONCURRENCY)
    expect(rejected(limiter, '198.51.100.9')).toEqual(CONCURRENCY)
    expect(limiter.snapshot('198.51.100.9').client?.allowance_remaining).toBe(50)
    held[0]!()
    const next = limiter.admit('198.51.100.9')
    expect(next.ok && next.remaining).toBe(49)
  })

  it('a slot held by a handler that throws is released by its finally block, once', async () => {
    const limiter = createRateLimiter({ clock: fakeClock(), maxConcurrent: 2 })
    async function handler(fail: boolean): Promise<string> {
      const admission = limiter.admit('192.0.2.1')
      if (!admission.ok) return admission.rejection.code
      try {
        await Promise.resolve()
        if (fail) throw new Error('upstream broke')
        return 'ok'
      } finally {
        admission.release()
        admission.release()
      }
    }
    const results = await Promise.allSettled([handler(true), handler(false), handler(true), handler(false)])
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'threw'))).toEqual([
      'threw',
      'ok',
      'too_many_concurrent_requests',
      'too_many_concurrent_requests',
    ])
    expect(limiter.snapshot('192.0.2.1').client?.active_requests).toBe(0)
    expect(limiter.snapshot().active_clients).toBe(0)
  })

  it('any interleaving of acquire, release and double release keeps the count exact, >= 0 and <= the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('acquire' as const), key: fc.integer({ min: 0, max: 2 }) }),
            fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('admit' as const), key: fc.integer({ min: 0, max: 2 }) }),
          ),
          { maxLength: 80 },
        ),
        (cap, ops) => {
          const limiter = createRateLimiter({ clock: fakeClock(), maxConcurrent: cap, burst: 1000 })
          const handles: Array<{ key: number; release: () => void; done: boolean }> = []
          const model = [0, 0, 0]
          for (const step of ops) {
            if (step.op === 'release') {
              if (handles.length === 0) continue
              const handle = handles[step.pick % handles.length]!
              handle.release()
              if (!handle.done) model[handle.key]!--
              handle.done = true
            } else {
              const ip = `10.1.1.${step.key}`
              const result = step.op === 'acquire' ? limiter.acquire(ip) : limiter.admit(ip)
              if (result.ok) {
                handles.push({ key: step.key, release: result.release, done: false })
                model[step.key]!++
              } else {
                expect(model[step.key]).toBe(cap)
              }
            }
            for (let key = 0; key < 3; key++) {
              const active = limiter.snapshot(`10.1.1.${key}`).client?.active_requests
              expect(active).toBe(model[key])
              expect(active).toBeGreaterThanOrEqual(0)
              expect(active).toBeLessThanOrEqual(cap)
            }
            expect(limiter.snapshot().active_clients).toBe(model.filter((n) => n > 0).length)
          }
          for (const handle of handles) handle.release()
          expect(limiter.snapshot().active_clients).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('failed-auth blocking', () => {
  it('the threshold request is still a 401: with max 2 and a 60 s block the sequence is 401, 401, 429 (Retry-After 60)', () => {
    const limiter = createRateLimiter({
      clock: fakeClock(),
      failedAuthMaxAttempts: 2,
      failedAuthBlockSeconds: 60,
    })
    expect(request(limiter, '203.0.113.9', 'bad')).toEqual({ status: 401 })
    expect(request(limiter, '203.0.113.9', 'bad')).toEqual({ status: 401 })
    expect(request(limiter, '203.0.113.9', 'bad')).toEqual({
      status: 429,
      code: 'ip_temporarily_blocked',
      retryAfter: 60,
    })
    expect(rejected(limiter, '203.0.113.9')).toEqual({ ...BLOCKED, retryAfterSeconds: 60 })
  })

  it('recordFailure reports attempts and the block that the threshold triggers', () => {
    const limiter = createRateLimiter({
      clock: fakeClock(),
      failedAuthMaxAttempts: 3,
      failedAuthBlockSeconds: 60,
    })
    expect(limiter.recordFailure('192.0.2.7')).toEqual({ blocked: false, attempts: 1, blockSeconds: 60 })
    expect(limiter.recordFailure('192.0.2.7')).toEqual({ blocked: false, attempts: 2, blockSeconds: 60 })
    expect(limiter.blockStatus('192.0.2.7')).toEqual({ blocked: false, retryAfterSeconds: 0 })
    expect(limiter.recordFailure('192.0.2.7')).toEqual({ blocked: true, attempts: 3, blockSeconds: 60 })
    expect(limiter.blockStatus('192.0.2.7')).toEqual({ blocked: true, retryAfterSeconds: 60 })
    // A failure during the block neither extends it nor counts toward the next one.
    expect(limiter.recordFailure('192.0.2.7')).toEqual({ blocked: true, attempts: 0, blockSeconds: 60 })
    expect(limiter.blockStatus('192.0.2.7')).toEqual({ blocked: true, retryAfterSeconds: 60 })
  })

  it('the block rejects before the concurrency check', () => {
    const limiter = createRateLimiter({
      clock: fakeClock(),
      burst: 2,
      maxConcurrent: 1,
      failedAuthMaxAttempts: 1,
    })
    const held = limiter.admit('203.0.113.1') // uses one token and the only slot
    expect(held.ok).toBe(true)
    limiter.recordFailure('203.0.113.1')
    expect(rejected(limiter, '203.0.113.1').code).toBe('ip_temporarily_blocked')
  })

  it('issue 26: a blocked address pays a token before the block check, so its answers are throttled', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, failedAuthMaxAttempts: 8 })
    const ip = '127.0.0.1'
    for (let i = 0; i < 8; i++) expect(request(limiter, ip, 'bad').status).toBe(401)
    // 32 tokens are left of the burst of 40. A brute-forcer sends 10,000 guesses in one instant:
    // each is answered (429 ip_temporarily_blocked for a wrong one, 200 for the right one on
    // loopback) only while tokens last; the rest get rate_limit_exceeded whatever the guess.
    let answered = 0
    for (let i = 0; i < 10_000; i++) {
      const outcome = request(limiter, ip, i === 9_999 ? 'good' : 'bad')
      if (outcome.status === 429 && outcome.code === 'rate_limit_exceeded') continue
      answered++
    }
    expect(answered).toBe(32)
    // The right token, once the bucket is empty, gets the same answer as a wrong one.
    expect(request(limiter, ip, 'good')).toEqual({ status: 429, code: 'rate_limit_exceeded', retryAfter: 1 })
    // Over the next 60 s, at most 2 answers per second (120 per minute).
    let later = 0
    for (let second = 0; second < 60; second++) {
      clock.advance(1000)
      for (let i = 0; i < 100; i++) {
        const outcome = request(limiter, ip, 'bad')
        if (!(outcome.status === 429 && outcome.code === 'rate_limit_exceeded')) later++
      }
    }
    expect(later).toBe(120)
    // A valid local client still gets through once a token is back.
    clock.advance(500)
    expect(request(limiter, ip, 'good')).toEqual({ status: 200 })
  })

  it('issue 26: every 127.x.y.z and ::1 is one client (bucket, failures and block shared)', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), burst: 5, failedAuthMaxAttempts: 3 })
    const spellings = ['127.0.0.1', '127.0.0.2', '127.200.1.9', '::1', '::ffff:127.3.3.3']
    for (const ip of spellings.slice(0, 3)) expect(request(limiter, ip, 'bad').status).toBe(401)
    for (const ip of spellings) expect(limiter.blockStatus(ip).blocked).toBe(true)
    expect(request(limiter, '127.44.0.1', 'good')).toEqual({ status: 200 })
    expect(request(limiter, '::1', 'good')).toEqual({ status: 200 })
    // 5 tokens in all: the sixth request from any loopback spelling is throttled.
    expect(request(limiter, '127.9.9.9', 'good')).toMatchObject({ status: 429, code: 'rate_limit_exceeded' })
    expect(limiter.snapshot().tracked_clients).toBe(1)
    expect(limiter.snapshot('127.5.5.5').client?.ip).toBe('127.0.0.1')
  })

  it('concurrency is checked before the rate limit', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), burst: 1, maxConcurrent: 1 })
    expect(limiter.admit('203.0.113.1').ok).toBe(true)
    expect(rejected(limiter, '203.0.113.1').code).toBe('too_many_concurrent_requests')
  })

  it('failed requests consume rate-limit tokens', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), burst: 3, failedAuthMaxAttempts: 100 })
    for (let i = 0; i < 3; i++) expect(request(limiter, '203.0.113.2', 'bad').status).toBe(401)
    expect(request(limiter, '203.0.113.2', 'good')).toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    })
  })

  it('A5: loopback with the valid token is still served during a block; without it (or remote) gets 429', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock })
    for (let i = 0; i < 8; i++) expect(request(limiter, '127.0.0.1', 'bad').status).toBe(401)
    expect(limiter.blockStatus('127.0.0.1')).toEqual({ blocked: true, retryAfterSeconds: 900 })
    expect(request(limiter, '127.0.0.1', 'good')).toEqual({ status: 200 })
    expect(request(limiter, '127.0.0.1', 'none')).toEqual({
      status: 429,
      code: 'ip_temporarily_blocked',
      retryAfter: 900,
    })
    expect(request(limiter, '127.0.0.1', 'bad')).toEqual({
      status: 429,
      code: 'ip_temporarily_blocked',
      retryAfter: 900,
    })
    expect(rejected(limiter, '127.0.0.1')).toEqual({ ...BLOCKED, retryAfterSeconds: 900 })
    // Still blocked: the served request did not lift it.
    expect(limiter.blockStatus('127.0.0.1').blocked).toBe(true)

    for (let i = 0; i < 8; i++) expect(request(limiter, '203.0.113.50', 'bad').status).toBe(401)
    expect(request(limiter, '203.0.113.50', 'good')).toEqual({
      status: 429,
      code: 'ip_temporarily_blocked',
      retryAfter: 900,
    })
  })

  it('A5: ::ffff:127.0.0.1 and ::1 count as loopback', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), failedAuthMaxAttempts: 1 })
    expect(request(limiter, '::ffff:127.0.0.1', 'bad').status).toBe(401)
    for (const ip of ['::ffff:127.0.0.1', '::1', '127.8.9.10']) {
      expect(request(limiter, ip, 'none').status).toBe(429)
      expect(request(limiter, ip, 'good').status).toBe(200)
    }
  })

  it('exemptLoopbackWithValidCredential: false restores the reference: loopback is blocked too', () => {
    const limiter = createRateLimiter({
      clock: fakeClock(),
      failedAuthMaxAttempts: 2,
      exemptLoopbackWithValidCredential: false,
    })
    request(limiter, '127.0.0.1', 'bad')
    request(limiter, '127.0.0.1', 'bad')
    expect(request(limiter, '127.0.0.1', 'good')).toEqual({
      status: 429,
      code: 'ip_temporarily_blocked',
      retryAfter: 900,
    })
  })

  it('"unknown" and empty IPs share one remote client: blocked even with the valid token', () => {
    const limiter = createRateLimiter({ clock: fakeClock(), failedAuthMaxAttempts: 2 })
    request(limiter, 'unknown', 'bad')
    request(limiter, '', 'bad')
    expect(limiter.blockStatus('unknown').blocked).toBe(true)
    expect(request(limiter, 'unknown', 'good')).toMatchObject({ status: 429, code: 'ip_temporarily_blocked' })
    expect(limiter.snapshot('').client?.ip).toBe('unknown')
  })

  it('A6: after block_seconds the good token works again, and Retry-After counts down', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock })
    for (let i = 0; i < 8; i++) request(limiter, '203.0.113.60', 'bad')
    clock.advance(899_999.5)
    expect(rejected(limiter, '203.0.113.60', { credentialValid: true }).retryAfterSeconds).toBe(1)
    clock.advance(0.5)
    expect(limiter.blockStatus('203.0.113.60')).toEqual({ blocked: false, retryAfterSeconds: 0 })
    expect(request(limiter, '203.0.113.60', 'good')).toEqual({ status: 200 })
    // A fresh set of attempts is needed for the next block.
    for (let i = 0; i < 7; i++) expect(request(limiter, '203.0.113.60', 'bad').status).toBe(401)
    expect(limiter.blockStatus('203.0.113.60').blocked).toBe(false)
  })

  it('A6: failures older than the window do not count', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock })
    for (let i = 0; i < 7; i++) limiter.recordFailure('198.51.100.3')
    clock.advance(299_999)
    expect(limiter.snapshot('198.51.100.3').client?.failed_auth_attempts).toBe(7)
    clock.advance(1)
    expect(limiter.snapshot('198.51.100.3').client?.failed_auth_attempts).toBe(0)
    expect(limiter.recordFailure('198.51.100.3')).toEqual({ blocked: false, attempts: 1, blockSeconds: 900 })

    // Inside the window the 8th failure blocks.
    for (let i = 0; i < 6; i++) limiter.recordFailure('198.51.100.4')
    clock.advance(200_000)
    limiter.recordFailure('198.51.100.4')
    clock.advance(99_999)
    expect(limiter.recordFailure('198.51.100.4')).toEqual({ blocked: true, attempts: 8, blockSeconds: 900 })
  })

  it('blockStatus and snapshot create no state for unseen IPs', () => {
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock: fakeClock(), store })
    expect(limiter.blockStatus('192.0.2.200')).toEqual({ blocked: false, retryAfterSeconds: 0 })
    expect(limiter.snapshot('192.0.2.200')).toEqual({
      tracked_clients: 0,
      blocked_clients: 0,
      active_clients: 0,
      client: {
        ip: '192.0.2.200',
        allowance_remaining: 40,
        active_requests: 0,
        failed_auth_attempts: 0,
        blocked_for_seconds: 0,
      },
    })
    expect(store.size).toBe(0)
  })
})

describe('Retry-After (R2)', () => {
  const integerAtLeastOne = (n: number) => {
    expect(String(n)).toMatch(/^\d+$/)
    expect(n).toBeGreaterThanOrEqual(1)
  }

  it('every hint is an integer >= 1 for every rejection kind, setting and odd clock value', () => {
    fc.assert(
      fc.property(
        fc.record({
          perMinute: fc.double({ min: 0.01, max: 10_000, noNaN: true }),
          burst: fc.integer({ min: 1, max: 5 }),
          maxConcurrent: fc.integer({ min: 1, max: 3 }),
          failedAuthMaxAttempts: fc.integer({ min: 1, max: 3 }),
          failedAuthWindowSeconds: fc.double({ min: 0.001, max: 1000, noNaN: true }),
          failedAuthBlockSeconds: fc.double({ min: 0.001, max: 5000, noNaN: true }),
        }),
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('advance' as const),
              ms: fc.double({ min: 0, max: 5e6, noNaN: true }),
            }),
            fc.record({
              op: fc.constantFrom('admit' as const, 'take' as const, 'acquire' as const, 'fail' as const),
            }),
          ),
          { maxLength: 60 },
        ),
        (settings, start, ops) => {
          const clock = fakeClock(start)
          const limiter = createRateLimiter({ ...settings, clock })
          for (const step of ops) {
            if (step.op === 'advance') clock.advance(step.ms)
            else if (step.op === 'admit') {
              const admission = limiter.admit('198.51.100.77')
              if (!admission.ok) integerAtLeastOne(admission.rejection.retryAfterSeconds)
            } else if (step.op === 'take') {
              const result = limiter.take('198.51.100.77')
              if (!result.allowed) integerAtLeastOne(result.retryAfterSeconds)
            } else if (step.op === 'acquire') {
              const result = limiter.acquire('198.51.100.77')
              if (!result.ok) integerAtLeastOne(result.retryAfterSeconds)
            } else {
              limiter.recordFailure('198.51.100.77')
            }
            const status = limiter.blockStatus('198.51.100.77')
            if (status.blocked) integerAtLeastOne(status.retryAfterSeconds)
            else expect(status.retryAfterSeconds).toBe(0)
            const blockedFor = limiter.snapshot('198.51.100.77').client?.blocked_for_seconds ?? 0
            expect(Number.isInteger(blockedFor)).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('block hints are ceil(remaining seconds), never rounded down to 0', () => {
    const clock = fakeClock(0.3)
    const limiter = createRateLimiter({ clock, failedAuthMaxAttempts: 1, failedAuthBlockSeconds: 60 })
    limiter.recordFailure('203.0.113.3')
    expect(rejected(limiter, '203.0.113.3').retryAfterSeconds).toBe(60)
    clock.advance(0.2)
    expect(rejected(limiter, '203.0.113.3').retryAfterSeconds).toBe(60)
    clock.advance(29_600) // 30.4 s left
    expect(rejected(limiter, '203.0.113.3').retryAfterSeconds).toBe(31)
    expect(limiter.blockStatus('203.0.113.3').retryAfterSeconds).toBe(31)
    expect(limiter.snapshot('203.0.113.3').client?.blocked_for_seconds).toBe(31)
    clock.advance(29_400)
    expect(rejected(limiter, '203.0.113.3').retryAfterSeconds).toBe(1)
    clock.advance(999.499)
    expect(rejected(limiter, '203.0.113.3').retryAfterSeconds).toBe(1)
  })
})

describe('bounded memory (R5)', () => {
  it('100k distinct clients are dropped once idle past the horizon', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store })
    for (let i = 0; i < 100_000; i++) {
      const admission = limiter.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
      if (admission.ok) admission.release()
    }
    expect(limiter.snapshot().tracked_clients).toBe(100_000)
    clock.advance(3600 * 1000)
    limiter.admit('192.0.2.1')
    expect(store.size).toBeLessThan(100_000) // the touch already swept incrementally
    const snapshot = limiter.snapshot()
    expect(snapshot.tracked_clients).toBe(1)
    expect(snapshot.active_clients).toBe(1)
  })

  it('the incremental sweep alone keeps up with a steady stream of new clients', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store, maxTrackedClients: 1_000_000 })
    let peak = 0
    for (let i = 0; i < 30_000; i++) {
      limiter.take(`key-${i}`)
      clock.advance(1000) // one new client per second: at most 3600 are inside the horizon
      peak = Math.max(peak, store.size)
    }
    expect(peak).toBeLessThanOrEqual(3601)
  })

  it('an idle client is kept until the horizon, then dropped', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store })
    limiter.take('a')
    clock.advance(3_599_999)
    expect(limiter.sweep()).toBe(0)
    expect(store.size).toBe(1)
    clock.advance(1)
    expect(limiter.sweep()).toBe(1)
    expect(store.size).toBe(0)
  })

  it('an idle client touched often is dropped within one second of its horizon', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store })
    limiter.take('a')
    clock.advance(500)
    limiter.take('b')
    clock.advance(499)
    limiter.take('a') // last seen at 999 ms
    clock.t = 3_600_000 + 998
    limiter.sweep()
    expect(store.get('a')).toBeDefined()
    clock.t = 3_600_000 + 999
    expect(limiter.sweep()).toBe(2)
    expect(store.size).toBe(0)
  })

  it('a client with an active slot is never dropped by the idle sweep; its idle time starts at release', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store })
    const slot = limiter.acquire('long-stream')
    limiter.take('other')
    clock.advance(2 * 3600 * 1000)
    limiter.sweep()
    expect(store.size).toBe(1)
    expect(limiter.snapshot('long-stream').client?.active_requests).toBe(1)
    if (slot.ok) slot.release()
    clock.advance(3600 * 1000 - 1)
    expect(limiter.sweep()).toBe(0)
    clock.advance(1)
    expect(limiter.sweep()).toBe(1)
    expect(limiter.snapshot()).toMatchObject({ tracked_clients: 0, active_clients: 0 })
  })

  it('a blocked client is kept for the whole block even when the block outlasts an hour', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, failedAuthMaxAttempts: 1, failedAuthBlockSeconds: 7200 })
    limiter.recordFailure('203.0.113.66')
    clock.advance(7_199_000)
    limiter.snapshot()
    expect(limiter.snapshot().blocked_clients).toBe(1)
    expect(rejected(limiter, '203.0.113.66').retryAfterSeconds).toBe(1)
  })

  it('the hard cap holds at every step with 100k distinct keys', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store, maxTrackedClients: 1000 })
    for (let i = 0; i < 100_000; i++) {
      limiter.take(`client-${i}`)
      if (store.size > 1000) throw new Error(`cap exceeded at ${i}: ${store.size}`)
    }
    expect(store.size).toBe(1000)
    // The most recent clients are the ones kept.
    expect(store.get('client-99999')).toBeDefined()
    expect(store.get('client-0')).toBeUndefined()
  })

  it('at the cap, idle clients go first, then clients without active requests, busy ones last', () => {
    const clock = fakeClock()
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock, store, maxTrackedClients: 3, failedAuthMaxAttempts: 1 })
    const busy = limiter.acquire('busy')
    limiter.recordFailure('blocked')
    limiter.take('idle')
    limiter.take('new-1')
    expect([...store.entries()].map(([k]) => k).sort()).toEqual(['blocked', 'busy', 'new-1'])
    limiter.recordFailure('new-1') // now blocked too: both inactive entries are blocked
    limiter.acquire('new-2')
    expect([...store.entries()].map(([k]) => k).sort()).toEqual(['busy', 'new-1', 'new-2'])
    if (busy.ok) busy.release()
    expect(limiter.snapshot().active_clients).toBe(1)
  })

  it('dropping a busy client at the cap never makes counts negative', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, maxTrackedClients: 1 })
    const a = limiter.acquire('a')
    const b = limiter.acquire('b') // 'a' must go: it is the only candidate
    expect(limiter.snapshot()).toMatchObject({ tracked_clients: 1, active_clients: 1 })
    clock.advance(2000)
    limiter.take('b')
    if (a.ok) {
      a.release()
      a.release()
    }
    // The dropped state is not brought back by its release.
    expect(limiter.snapshot('b')).toMatchObject({
      tracked_clients: 1,
      active_clients: 1,
      client: { active_requests: 1 },
    })
    expect(limiter.snapshot('a').client).toMatchObject({ active_requests: 0 })
    if (b.ok) b.release()
    expect(limiter.snapshot('b')).toMatchObject({ active_clients: 0, client: { active_requests: 0 } })
  })

  it('caps very long keys and never throws on odd keys', () => {
    const store = createMemoryStore()
    const limiter = createRateLimiter({ clock: fakeClock(), store })
    const long = 'x'.repeat(10_000)
    expect(limiter.take(long).allowed).toBe(true)
    expect([...store.entries()][0]![0]).toHaveLength(256)
    expect(limiter.take(undefined as unknown as string).allowed).toBe(true)
    expect(limiter.admit(42 as unknown as string).ok).toBe(true)
    expect(store.get('unknown')).toBeDefined()
  })
})

describe('snapshot', () => {
  it('reports the /v1/relay/status security counters and the asking client', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ clock, failedAuthMaxAttempts: 2 })
    const held = limiter.admit('203.0.113.20')
    limiter.take('203.0.113.20')
    limiter.recordFailure('203.0.113.21')
    limiter.recordFailure('203.0.113.21')
    limiter.recordFailure('203.0.113.22')
    clock.advance(250)
    expect(limiter.snapshot('203.0.113.20')).toEqual({
      tracked_clients: 3,
      blocked_clients: 1,
      active_clients: 1,
      client: {
        ip: '203.0.113.20',
        allowance_remaining: 38.5,
        active_requests: 1,
        failed_auth_attempts: 0,
        blocked_for_seconds: 0,
      },
    })
    expect(limiter.snapshot('203.0.113.21').client).toMatchObject({ blocked_for_seconds: 900 })
    expect(limiter.snapshot('203.0.113.22').client).toMatchObject({ failed_auth_attempts: 1 })
    expect(limiter.snapshot().client).toBeNull()
    clock.advance(900_000)
    expect(limiter.snapshot().blocked_clients).toBe(0)
    if (held.ok) held.release()
  })

  it('picks up state already present in an injected store', () => {
    const store = createMemoryStore()
    store.set('203.0.113.30', {
      tokens: 5,
      refilledAt: 0,
      active: 2,
      failures: null,
      blockedUntil: 60_000,
      lastSeen: 0,
      orderedAt: 0,
    })
    const limiter = createRateLimiter({ clock: fakeClock(), store })
    expect(limiter.snapshot('203.0.113.30')).toMatchObject({
      tracked_clients: 1,
      blocked_clients: 1,
      active_clients: 1,
      client: { active_requests: 2, blocked_for_seconds: 60, allowance_remaining: 5 },
    })
  })
})

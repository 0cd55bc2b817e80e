import { RateLimiterError } from '../errors'
import { createMemoryStore, type RateLimitStore } from '../store'
import type { RateLimiterOptions, RateLimiterSettings } from '../types'

/** Reference defaults (original relay, `[security]` section). */
export const DEFAULTS = {
  perMinute: 120,
  burst: 40,
  maxConcurrent: 50,
  failedAuthMaxAttempts: 8,
  failedAuthWindowSeconds: 300,
  failedAuthBlockSeconds: 900,
  exemptLoopbackWithValidCredential: true,
  maxTrackedClients: 100_000,
} as const

/** The reference's floor for the idle horizon, in seconds. */
const MIN_IDLE_SECONDS = 3600

const KNOWN_OPTIONS = new Set<string>([...Object.keys(DEFAULTS), 'clock', 'store'])

/** The `clock` option as the limiter reads it (`clock.now()`), wrapped once at creation. */
export interface TimeSource {
  now(): number
}

export interface ResolvedOptions {
  settings: RateLimiterSettings
  clock: TimeSource
  store: RateLimitStore
}

function invalid(option: string, message: string): never {
  throw new RateLimiterError('ratelimit_invalid_option', option, message)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    invalid(name, `Option "${name}" must be a finite number greater than 0 (got ${describe(value)}).`)
  }
  return value
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    invalid(name, `Option "${name}" must be a whole number of at least 1 (got ${describe(value)}).`)
  }
  return value
}

function assertStore(store: unknown): asserts store is RateLimitStore {
  if (typeof store !== 'object' || store === null) {
    invalid('store', `Option "store" must be a RateLimitStore object (got ${describe(store)}).`)
  }
  for (const method of ['get', 'set', 'delete', 'entries', 'clear']) {
    if (typeof (store as Record<string, unknown>)[method] !== 'function') {
      invalid('store', `Option "store" must be a RateLimitStore: method "${method}" is missing.`)
    }
  }
  if (typeof (store as { size?: unknown }).size !== 'number') {
    invalid('store', 'Option "store" must be a RateLimitStore: numeric property "size" is missing.')
  }
}

function defaultClock(): TimeSource {
  return { now: () => performance.now() }
}

/** Validates options once, at creation time. Throws RateLimiterError; never used on the hot path. */
export function resolveOptions(options: RateLimiterOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('options', `Rate limiter options must be an object (got ${describe(options)}).`)
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) invalid(name, `Unknown rate limiter option "${name}".`)
  }

  const perMinute = positiveNumber('perMinute', options.perMinute, DEFAULTS.perMinute)
  const burst = positiveInteger('burst', options.burst, DEFAULTS.burst)
  const maxConcurrent = positiveInteger('maxConcurrent', options.maxConcurrent, DEFAULTS.maxConcurrent)
  const failedAuthMaxAttempts = positiveInteger(
    'failedAuthMaxAttempts',
    options.failedAuthMaxAttempts,
    DEFAULTS.failedAuthMaxAttempts,
  )
  const failedAuthWindowSeconds = positiveNumber(
    'failedAuthWindowSeconds',
    options.failedAuthWindowSeconds,
    DEFAULTS.failedAuthWindowSeconds,
  )
  const failedAuthBlockSeconds = positiveNumber(
    'failedAuthBlockSeconds',
    options.failedAuthBlockSeconds,
    DEFAULTS.failedAuthBlockSeconds,
  )
  const maxTrackedClients = positiveInteger(
    'maxTrackedClients',
    options.maxTrackedClients,
    DEFAULTS.maxTrackedClients,
  )
  const exempt = options.exemptLoopbackWithValidCredential
  if (exempt !== undefined && typeof exempt !== 'boolean') {
    invalid(
      'exemptLoopbackWithValidCredential',
      `Option "exemptLoopbackWithValidCredential" must be a boolean (got ${describe(exempt)}).`,
    )
  }

  let clock: TimeSource
  if (options.clock === undefined) {
    clock = defaultClock()
  } else {
    const read = options.clock
    if (typeof read !== 'function') {
      invalid('clock', 'Option "clock" must be a function returning milliseconds (like Date.now).')
    }
    const sample: unknown = read()
    if (typeof sample !== 'number' || !Number.isFinite(sample)) {
      invalid(
        'clock',
        `Option "clock" must return a finite number of milliseconds (got ${describe(sample)}).`,
      )
    }
    clock = { now: read }
  }

  let store: RateLimitStore
  if (options.store === undefined) {
    store = createMemoryStore()
  } else {
    assertStore(options.store)
    store = options.store
  }

  // Time for an empty bucket to refill completely. Dropping a client earlier would hand it a fresh
  // bucket; with the defaults (40 tokens at 2/s) this is 20 s and never matters.
  const refillSeconds = (burst * 60) / perMinute
  const idleSeconds = Math.max(
    failedAuthWindowSeconds,
    failedAuthBlockSeconds,
    MIN_IDLE_SECONDS,
    refillSeconds,
  )

  const settings: RateLimiterSettings = Object.freeze({
    perMinute,
    burst,
    maxConcurrent,
    failedAuthMaxAttempts,
    failedAuthWindowSeconds,
    failedAuthBlockSeconds,
    exemptLoopbackWithValidCredential: exempt ?? DEFAULTS.exemptLoopbackWithValidCredential,
    maxTrackedClients,
    idleSeconds,
  })
  return { settings, clock, store }
}

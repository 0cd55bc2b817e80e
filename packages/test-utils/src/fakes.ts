/** A clock the test moves by hand (epoch milliseconds). */
export interface FakeClock {
  now: () => number
  advance(ms: number): void
  set(ms: number): void
}

export function fakeClock(start: number = Date.now()): FakeClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      t += ms
    },
    set(ms) {
      t = ms
    },
  }
}

/** A relay logger that keeps every message (and never prints). */
export interface RecordingLogger {
  warn(message: string): void
  error(message: string): void
  readonly warnings: string[]
  readonly errors: string[]
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = []
  const errors: string[] = []
  return {
    warnings,
    errors,
    warn: (message) => warnings.push(message),
    error: (message) => errors.push(message),
  }
}

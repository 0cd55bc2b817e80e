const BRAND = Symbol.for('@airelays/upstream-emulator.error')

/**
 * Stable error codes thrown by the emulator's JavaScript API (never sent over HTTP).
 *
 * - `emulator_invalid_option`: an option passed to `createUpstreamEmulator` is out of range.
 * - `emulator_invalid_behaviour`: `script()` received a behaviour it cannot run.
 * - `emulator_wait_timeout`: `waitFor()` saw no matching request in time.
 * - `emulator_listen_failed`: the HTTP server could not bind the requested host/port.
 * - `emulator_closed`: the emulator was closed while a `waitFor()` was pending.
 */
export type UpstreamEmulatorErrorCode =
  | 'emulator_invalid_option'
  | 'emulator_invalid_behaviour'
  | 'emulator_wait_timeout'
  | 'emulator_listen_failed'
  | 'emulator_closed'

/** The one error class of `@airelays/upstream-emulator`. Match on `code`, not on the message. */
export class UpstreamEmulatorError extends Error {
  /** Stable machine-readable code. */
  readonly code: UpstreamEmulatorErrorCode

  constructor(code: UpstreamEmulatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UpstreamEmulatorError'
    this.code = code
    Object.defineProperty(this, BRAND, { value: true, enumerable: false })
  }
}

/** True for any `UpstreamEmulatorError`, even one created by another copy of this package. */
export function isUpstreamEmulatorError(value: unknown): value is UpstreamEmulatorError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

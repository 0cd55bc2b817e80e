/**
 * Stable codes of the errors the CLI reports itself.
 *
 * - `usage`: a command line that cannot be run (unknown command or flag, missing subcommand or
 *   value); exit code 2.
 * - `config_invalid`: the settings have errors (each one is listed); exit code 1.
 * - `cancelled`: the user pressed Ctrl-C (SIGINT, exit code 130) or sent SIGTERM (143).
 * - `failed`: any other problem the CLI reports with a one-line message; exit code 1.
 */
export type CliErrorCode = 'usage' | 'config_invalid' | 'cancelled' | 'failed'

const BRAND: symbol = Symbol.for('airelays.cli.CliError')

/** Constructor input of {@link CliError}. */
export interface CliErrorOptions {
  /** @default 'failed' */
  code?: CliErrorCode
  /** Process exit code. @default 2 for `usage`, 130 for `cancelled`, else 1 */
  exitCode?: number
  /** Further lines printed after the message (e.g. every config error, a hint). @default [] */
  details?: readonly string[]
  cause?: unknown
}

function defaultExitCode(code: CliErrorCode): number {
  if (code === 'usage') return 2
  if (code === 'cancelled') return 130
  return 1
}

/**
 * An error the CLI expects and reports in one line on stderr, without a stack trace, then exits
 * with `exitCode`. Anything that is not a `CliError` (or a typed error of an AIRelays library) is
 * treated as a bug: exit code 70 with a short report.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError'
  readonly code: CliErrorCode
  readonly exitCode: number
  readonly details: readonly string[]

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code ?? 'failed'
    this.exitCode = options.exitCode ?? defaultExitCode(this.code)
    this.details = options.details ?? []
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** True for a {@link CliError} from any copy of this package (checks a brand, not `instanceof`). */
export function isCliError(error: unknown): error is CliError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true
}

/** A usage error (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(message, { code: 'usage' })
}

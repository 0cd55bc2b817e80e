// Public API of the `airelays` package: run the CLI in-process.
import { type Terminal, formatField, processTerminal } from './_internal/output'
import { isCliError } from './errors'
import { runProgram } from './program'
import { VERSION } from './version'

export { CliError, isCliError } from './errors'
export type { CliErrorCode, CliErrorOptions } from './errors'
export { VERSION } from './version'

const ISSUES_URL = 'https://github.com/airelays/airelays/issues/new'

/**
 * Runs `airelays` with `argv` (the arguments after the program name) on the process streams and
 * resolves with the exit code: 0 success, 1 a reported error, 2 a usage error, 130 cancelled
 * with Ctrl-C, 70 an unexpected error (a bug; a short report is printed). It never throws and
 * never calls `process.exit`.
 *
 * @example
 * import { run } from 'airelays'
 * process.exitCode = await run(['status', '--json'])
 */
export async function run(argv: readonly string[]): Promise<number> {
  const term = processTerminal()
  try {
    return await runProgram(argv, term)
  } catch (error) {
    return await reportError(error, term, argv)
  }
}

/** The one top-level catch: maps every error class to its exit code. */
async function reportError(error: unknown, term: Terminal, argv: readonly string[]): Promise<number> {
  const err = term.err
  const say = (message: string): void => err.line(`${err.style.red('Error:')} ${message}`)
  if (isCliError(error)) {
    if (error.message) say(error.message)
    for (const line of error.details) err.line(line)
    if (error.code === 'usage') err.line('Run `airelays --help` for usage.')
    return error.exitCode
  }
  if (error instanceof Error && error.name === 'CACError') {
    say(`${error.message.replace(/\.$/, '')}.`)
    err.line('Run `airelays --help` for usage.')
    return 2
  }
  if (await isLibraryError(error)) {
    say((error as Error).message)
    return 1
  }
  if (isSystemError(error)) {
    say(error.message)
    return 1
  }
  printCrashReport(term, error, argv)
  return 70
}

/**
 * A typed error of an AIRelays library (checked by each package's brand guard, loaded only
 * when the error carries a string `code`, so the happy path never loads them).
 */
async function isLibraryError(error: unknown): Promise<boolean> {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== 'string') return false
  const { isConfigError } = await import('@airelays/config')
  if (isConfigError(error)) return true
  const { isAuthStoreError } = await import('@airelays/auth-store')
  if (isAuthStoreError(error)) return true
  const { isUpstreamError } = await import('@airelays/upstream-client')
  if (isUpstreamError(error)) return true
  const { isUpstreamEmulatorError } = await import('@airelays/upstream-emulator')
  return isUpstreamEmulatorError(error)
}

/** An operating-system error (EACCES, ENOSPC, EADDRINUSE, …): the message names the file or address. */
function isSystemError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false
  const { code, syscall } = error as { code?: unknown; syscall?: unknown }
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && typeof syscall === 'string'
}

function printCrashReport(term: Terminal, error: unknown, argv: readonly string[]): void {
  const err = term.err
  const summary =
    error instanceof Error ? `${error.name}: ${error.message}` : `Non-error thrown: ${String(error)}`
  err.line(err.style.red(err.style.bold('AIRelays hit an unexpected error. This is a bug in AIRelays.')))
  err.line(formatField('Error', summary))
  err.line(formatField('Command', `airelays ${argv.find((arg) => /^[a-z]+$/.test(arg)) ?? ''}`.trim()))
  err.line(
    formatField(
      'Versions',
      `airelays ${VERSION}, node ${process.version}, ${process.platform} ${process.arch}`,
    ),
  )
  err.line(formatField('Report it at', ISSUES_URL))
  err.line('  Please include this report and the command you ran (without any tokens).')
  const stack = error instanceof Error && error.stack ? error.stack.split('\n').slice(1, 9) : []
  if (stack.length > 0) {
    err.line(err.style.dim('Stack:'))
    for (const frame of stack) err.line(err.style.dim(`  ${frame.trim()}`))
  }
}

import { VERSION } from '../version'
import { invokedAs, withCommandPrefix } from './invocation'

/** The environment variables colour detection reads. */
export type ColorEnv = Readonly<Record<string, string | undefined>>

/**
 * Whether to colour output written to `stream`: off for `NO_COLOR` (any non-empty value),
 * `CLICOLOR=0` and `TERM=dumb`; otherwise on when `FORCE_COLOR` is set to anything but `0`
 * (or `false`), or when the stream is a TTY.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: ColorEnv): boolean {
  if (env.NO_COLOR) return false
  if (env.CLICOLOR === '0') return false
  if (env.TERM === 'dumb') return false
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  return stream.isTTY === true
}

/** ANSI styles that turn into plain text when colour is off. */
export interface Style {
  readonly enabled: boolean
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  /** Bold cyan: titles. */
  title(text: string): string
}

function wrap(enabled: boolean, open: string, close: string): (text: string) => string {
  return enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text
}

/** Styles for one stream. */
export function createStyle(enabled: boolean): Style {
  const bold = wrap(enabled, '1', '22')
  const cyan = wrap(enabled, '36', '39')
  return {
    enabled,
    bold,
    dim: wrap(enabled, '2', '22'),
    red: wrap(enabled, '31', '39'),
    green: wrap(enabled, '32', '39'),
    yellow: wrap(enabled, '33', '39'),
    cyan,
    title: (text) => bold(cyan(text)),
  }
}

/** A writable the printer writes to (process.stdout / process.stderr). */
export interface TextSink {
  write(text: string): unknown
  isTTY?: boolean
}

/** Labels are padded to this width, as in the reference ("  Label:           value"). */
const LABEL_WIDTH = 18

/** A field value: empty values (null, undefined, '') print as "not set". */
export type FieldValue = string | number | boolean | null | undefined

/** Formats a field value for humans. */
export function showValue(value: FieldValue): string {
  if (value === null || value === undefined || value === '') return 'not set'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  return String(value)
}

/**
 * Human output in the reference's shape: a bold cyan title with the version, bold section
 * headings, fields indented two spaces with the label padded to 18 characters.
 */
export class Printer {
  readonly style: Style
  readonly #out: TextSink
  /** How the user ran airelays (`npx airelays`…): every `airelays <command>` hint is printed so. */
  readonly #prefix: string
  #started = false

  constructor(out: TextSink, style: Style, commandPrefix = 'airelays') {
    this.#out = out
    this.style = style
    this.#prefix = commandPrefix
  }

  /** Raw text (no newline added). */
  write(text: string): void {
    this.#out.write(withCommandPrefix(text, this.#prefix))
  }

  /** One line. */
  line(text = ''): void {
    this.write(`${text}\n`)
  }

  /** "AIRelays <version> <Command>". */
  title(command: string): void {
    this.line(this.style.title(`AIRelays ${VERSION} ${command}`))
    this.#started = true
  }

  /** A blank line, then the bold heading. */
  section(heading: string): void {
    if (this.#started) this.line()
    this.line(this.style.bold(heading))
    this.#started = true
  }

  /** `  Label:            value` ("not set" for empty values). */
  field(label: string, value: FieldValue): void {
    this.line(formatField(label, showValue(value)))
  }

  /** An indented line of prose inside a section. */
  note(text: string): void {
    this.line(`  ${text}`)
  }

  /** Numbered steps ("  1. airelays login"). Nothing is printed for an empty list. */
  steps(heading: string, steps: readonly string[]): void {
    if (steps.length === 0) return
    this.section(heading)
    steps.forEach((step, index) => {
      this.line(`  ${index + 1}. ${step}`)
    })
  }
}

/** `  Label:            value`, the label padded to 18 characters. */
export function formatField(label: string, value: string): string {
  const head = `${label}:`
  return `  ${head.length >= LABEL_WIDTH ? `${head} ` : head.padEnd(LABEL_WIDTH)}${value}`
}

/** Prints `payload` as JSON indented by 2 spaces. */
export function printJson(out: TextSink, payload: unknown): void {
  out.write(`${JSON.stringify(payload, null, 2)}\n`)
}

/** Stdout and stderr printers, coloured per stream. */
export interface Terminal {
  out: Printer
  err: Printer
  env: ColorEnv
}

/** Printers for the real process streams. */
export function processTerminal(): Terminal {
  const env = process.env
  const prefix = invokedAs(env)
  return {
    out: new Printer(process.stdout, createStyle(colorEnabled(process.stdout, env)), prefix),
    err: new Printer(process.stderr, createStyle(colorEnabled(process.stderr, env)), prefix),
    env,
  }
}

/** "warning: …" on stderr. */
export function printWarning(term: Terminal, message: string): void {
  term.err.line(`${term.err.style.yellow('warning:')} ${message}`)
}

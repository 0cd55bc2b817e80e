import type { ConfigKeyDefinition, ConfigValueType } from '../keys'
import type { ConfigValue, ResolvedConfig } from '../types'

/**
 * Outcome of parsing one raw value. `note` marks values that are accepted with a warning:
 * `clamped` (raised to the type's minimum) and `empty` (an empty list that means "use the default").
 */
export type Parsed = { ok: true; value: ConfigValue; note?: 'clamped' | 'empty' } | { ok: false }

/** Where a raw value came from: typed TOML, or text (environment variables and CLI flags). */
export type RawOrigin = 'file' | 'text'

const TRUE_WORDS = ['1', 'true', 'yes', 'on']
const FALSE_WORDS = ['0', 'false', 'no', 'off']
const INTEGER_TEXT = /^[+-]?\d+$/
const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

const ok = (value: ConfigValue, note?: 'clamped' | 'empty'): Parsed =>
  note ? { ok: true, value, note } : { ok: true, value }
const bad: Parsed = { ok: false }

function parseNumberText(text: string): number | null {
  const trimmed = text.trim()
  if (!NUMBER_TEXT.test(trimmed)) return null
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : null
}

function splitCsv(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
}

function checkInteger(type: Extract<ConfigValueType, { kind: 'integer' }>, n: number): Parsed {
  if (!Number.isSafeInteger(n)) return bad
  if (type.max !== undefined && n > type.max) return bad
  if (n < type.min) return type.clampBelowMin ? ok(type.min, 'clamped') : bad
  return ok(n)
}

function checkNumber(type: Extract<ConfigValueType, { kind: 'number' }>, n: number): Parsed {
  if (!Number.isFinite(n)) return bad
  if (type.exclusiveMin ? n <= type.min : n < type.min) return bad
  return ok(n)
}

function checkString(text: string): Parsed {
  const trimmed = text.trim()
  return trimmed.length > 0 ? ok(trimmed) : bad
}

function checkUrl(text: string): Parsed {
  const stripped = text.trim().replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(stripped)
  } catch {
    return bad
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return bad
  return ok(stripped)
}

function checkEnum(type: Extract<ConfigValueType, { kind: 'enum' }>, text: string): Parsed {
  let normal = text.trim().toLowerCase()
  if (type.dashToUnderscore) normal = normal.replaceAll('-', '_')
  return type.values.includes(normal) ? ok(normal) : bad
}

function checkStringList(type: Extract<ConfigValueType, { kind: 'string-list' }>, items: string[]): Parsed {
  if (items.length === 0 && type.emptyUsesDefault) return ok([], 'empty')
  if (type.itemPattern !== undefined) {
    const pattern = new RegExp(type.itemPattern)
    if (!items.every((item) => pattern.test(item))) return bad
  }
  return ok(items)
}

function checkNumberList(entries: readonly unknown[]): Parsed {
  if (entries.length === 0) return bad
  const numbers: number[] = []
  for (const entry of entries) {
    const n = typeof entry === 'number' ? entry : typeof entry === 'string' ? parseNumberText(entry) : null
    if (n === null || !Number.isFinite(n) || n < 0) return bad
    numbers.push(n)
  }
  return ok(numbers)
}

/** Parse a typed value from a TOML document. */
export function parseFileValue(type: ConfigValueType, raw: unknown): Parsed {
  switch (type.kind) {
    case 'string':
    case 'path':
    case 'secret':
      return typeof raw === 'string' ? checkString(raw) : bad
    case 'url':
      return typeof raw === 'string' ? checkUrl(raw) : bad
    case 'boolean':
      return typeof raw === 'boolean' ? ok(raw) : bad
    case 'integer':
      return typeof raw === 'number' ? checkInteger(type, raw) : bad
    case 'number':
      return typeof raw === 'number' ? checkNumber(type, raw) : bad
    case 'enum':
      return typeof raw === 'string' ? checkEnum(type, raw) : bad
    case 'string-list':
      if (typeof raw === 'string') return checkStringList(type, splitCsv(raw))
      if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) return bad
      return checkStringList(
        type,
        raw.map((item: string) => item.trim()).filter((item) => item.length > 0),
      )
    case 'number-list':
      if (typeof raw === 'string') return checkNumberList(splitCsv(raw))
      return Array.isArray(raw) ? checkNumberList(raw) : bad
  }
}

/** Parse a value given as text: an environment variable or a CLI flag. */
export function parseTextValue(type: ConfigValueType, text: string): Parsed {
  switch (type.kind) {
    case 'string':
    case 'path':
    case 'secret':
      return checkString(text)
    case 'url':
      return checkUrl(text)
    case 'boolean': {
      const word = text.trim().toLowerCase()
      if (TRUE_WORDS.includes(word)) return ok(true)
      if (FALSE_WORDS.includes(word)) return ok(false)
      return bad
    }
    case 'integer': {
      const trimmed = text.trim()
      return INTEGER_TEXT.test(trimmed) ? checkInteger(type, Number(trimmed)) : bad
    }
    case 'number': {
      const n = parseNumberText(text)
      return n === null ? bad : checkNumber(type, n)
    }
    case 'enum':
      return checkEnum(type, text)
    case 'string-list':
      return checkStringList(type, splitCsv(text))
    case 'number-list':
      return checkNumberList(splitCsv(text))
  }
}

/** Whether a value in a resolved config is one that loading could have produced. */
export function isResolvedValue(type: ConfigValueType, value: unknown): boolean {
  switch (type.kind) {
    case 'secret':
      return value === null || (typeof value === 'string' && value.trim() === value && value !== '')
    case 'string':
    case 'path':
    case 'url':
    case 'enum':
    case 'boolean':
    case 'integer':
    case 'number': {
      const parsed = parseFileValue(type, value)
      return parsed.ok && !parsed.note && parsed.value === value
    }
    case 'string-list':
      return (
        Array.isArray(value) &&
        value.every((item) => typeof item === 'string' && item.trim() === item && item)
      )
    case 'number-list':
      return (
        Array.isArray(value) && checkNumberList(value).ok && value.every((item) => typeof item === 'number')
      )
  }
}

function describeRange(min: number, max: number | undefined, noun: string, exclusive = false): string {
  if (max !== undefined) return `${noun} from ${min} to ${max}`
  if (exclusive) return `${noun} greater than ${min}`
  return `${noun} of ${min} or more`
}

/** What a type accepts, for error messages and the docs. */
export function describeAccepted(type: ConfigValueType, origin: RawOrigin): string {
  switch (type.kind) {
    case 'string':
    case 'secret':
      return 'a non-empty string'
    case 'path':
      return 'a non-empty path (~ is the home directory)'
    case 'url':
      return 'an http:// or https:// URL'
    case 'boolean':
      return origin === 'file'
        ? 'true or false (TOML booleans, unquoted)'
        : 'one of 1, true, yes, on, 0, false, no, off (any case)'
    case 'integer':
      return describeRange(type.min, type.max, 'an integer')
    case 'number':
      return describeRange(type.min, undefined, 'a number', type.exclusiveMin)
    case 'enum':
      return `one of ${type.values.join(', ')}`
    case 'string-list': {
      const shape = type.itemShape === undefined ? '' : ` of ${type.itemShape} entries`
      return origin === 'file'
        ? `an array of strings or a comma-separated string${shape}`
        : `a comma-separated list${shape}, e.g. ${type.itemShape === undefined ? 'a,b' : 'opus=gpt-5.5:high,haiku=gpt-5.4-mini'}`
    }
    case 'number-list':
      return origin === 'file'
        ? 'a non-empty array of finite numbers >= 0 (or a comma-separated string), e.g. [5, 20, 60]'
        : 'a non-empty comma-separated list of finite numbers >= 0, e.g. 5,20,60'
  }
}

function shortValue(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw)
  if (typeof raw === 'number') {
    if (Number.isNaN(raw)) return 'nan'
    if (!Number.isFinite(raw)) return raw > 0 ? 'inf' : '-inf'
    return String(raw)
  }
  if (typeof raw === 'boolean') return String(raw)
  if (raw instanceof Date) return 'a date'
  if (Array.isArray(raw)) {
    const inner = raw.map(shortValue).join(', ')
    return `[${inner.length > 60 ? `${inner.slice(0, 57)}...` : inner}]`
  }
  if (typeof raw === 'object' && raw !== null) return 'a table'
  return String(raw)
}

/** A short, safe rendering of a rejected TOML value for messages: the value and its TOML type. */
export function describeRaw(raw: unknown): string {
  const kind =
    typeof raw === 'string'
      ? 'a string'
      : typeof raw === 'number'
        ? 'a number'
        : typeof raw === 'boolean'
          ? 'a boolean'
          : Array.isArray(raw)
            ? 'an array'
            : null
  const shown = shortValue(raw)
  return kind ? `${shown} (${kind})` : shown
}

/** A human-readable rendering of an accepted value (defaults in messages and docs). */
export function formatValue(value: ConfigValue): string {
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.join(', ')
  if (value === null) return 'not set'
  return String(value)
}

function tomlString(text: string): string {
  let out = '"'
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}

function tomlNumber(n: number, float: boolean): string {
  const text = String(n)
  return float && Number.isInteger(n) && !/[eE]/.test(text) ? `${text}.0` : text
}

/** The TOML literal for a resolved value of the given type. */
export function renderTomlValue(type: ConfigValueType, value: ConfigValue): string {
  if (typeof value === 'string') return tomlString(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return tomlNumber(value, type.kind === 'number')
  if (Array.isArray(value)) {
    const items = (value as readonly (string | number)[]).map((item) =>
      typeof item === 'string' ? tomlString(item) : tomlNumber(item, false),
    )
    return `[${items.join(', ')}]`
  }
  throw new TypeError('null values are not rendered')
}

/** Read one key's value out of a resolved config. */
export function getConfigValue(config: ResolvedConfig, def: ConfigKeyDefinition): unknown {
  let node: unknown = config
  for (const part of def.section.split('.')) node = (node as Record<string, unknown> | undefined)?.[part]
  return (node as Record<string, unknown> | undefined)?.[def.key]
}

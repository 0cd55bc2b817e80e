/**
 * Codes of the errors this package throws. Loading never throws for user mistakes (those are
 * returned as issues); these are for writing and updating files and for rendering a config that is
 * not valid.
 */
export type ConfigErrorCode =
  /** `writeConfig` found an existing file and `force` was not set. */
  | 'config_exists'
  /** Creating the directory, writing the temp file or renaming it failed; see `cause`. */
  | 'config_write_failed'
  /** `renderConfig` was given a value that `loadConfig` would reject (a hand-built config). */
  | 'config_invalid_value'
  /** `updateConfig` was given a key that config.toml does not hold (unknown, or environment-only). */
  | 'config_unknown_key'
  /** `updateConfig` found a config file that is not valid TOML; it was kept unchanged. */
  | 'config_parse_failed'
  /** `updateConfig` cannot change the key in place (its section is written as an inline table). */
  | 'config_edit_unsupported'
  /** `updateConfig` with `create: false` found no file. */
  | 'config_missing'

const BRAND: symbol = Symbol.for('@airelays/config.ConfigError')

/** The one error class of @airelays/config. Match on `code` (via `isConfigError`), never on the message. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError'
  /** Stable machine-readable code. */
  readonly code: ConfigErrorCode
  /** The file concerned, when there is one. */
  readonly path: string | null

  constructor(code: ConfigErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.path = options.path ?? null
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** True for a `ConfigError` from any copy of this package (checks a brand, not `instanceof`). */
export function isConfigError(error: unknown): error is ConfigError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true
}

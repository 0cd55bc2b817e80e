import { checkWritten } from './_internal/check-written'
import { IssueList } from './_internal/issues'
import { scanKeyLines } from './_internal/toml-lines'
import type { ConfigIssue, WrittenConfig } from './types'

/** Options of `validateConfig`. */
export interface ValidateConfigOptions {
  /**
   * File path named in issue locations.
   * @default "config.toml"
   */
  path?: string
  /** The TOML text the object was parsed from; used to give each issue its line number. */
  text?: string
}

/** Result of `validateConfig`. */
export interface ValidateConfigResult {
  /** The valid written values only, normalised (trimmed, lower-cased enums, lists as arrays). */
  config: WrittenConfig
  warnings: ConfigIssue[]
  errors: ConfigIssue[]
}

/**
 * Validate a config object as parsed from config.toml (e.g. by smol-toml). Never throws: every
 * problem is an issue naming the key, the file (and line when `text` is given) and what is accepted.
 * Unknown sections and keys are warnings; wrong types, ranges and spellings are errors.
 */
export function validateConfig(written: unknown, options: ValidateConfigOptions = {}): ValidateConfigResult {
  const issues = new IssueList()
  const lines = options.text === undefined ? null : scanKeyLines(options.text)
  const { config } = checkWritten(written, options.path ?? 'config.toml', lines, issues)
  return { config, warnings: issues.warnings, errors: issues.errors }
}

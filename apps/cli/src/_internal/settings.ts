import type { ConfigFlags, ConfigIssue, LoadConfigResult } from '@airelays/config'
import { loadConfig } from '@airelays/config'
import { CliError } from '../errors'
import { printWarning, type Terminal } from './output'

/** How `loadSettings` treats configuration errors. */
export type ConfigErrorHandling =
  /** Throw a `CliError` listing every error (exit code 1). */
  | 'fail'
  /** Return them: `status` and `doctor` report them in their output. */
  | 'report'

/** Options of {@link loadSettings}. */
export interface LoadSettingsOptions {
  term: Terminal
  /** `--json` output: warnings are not printed (they would not be part of the payload). */
  json: boolean
  onErrors: ConfigErrorHandling
}

/** One issue as a line: the message names the key, where the value came from and what is accepted. */
export function issueLine(issue: ConfigIssue): string {
  return issue.message
}

/**
 * Resolves the settings (flags > AIRELAYS_* env > legacy env > config.toml > defaults) with
 * @airelays/config. In human mode every warning goes to stderr; errors either fail the command
 * (each one listed) or are returned for the command to report.
 */
export async function loadSettings(
  flags: ConfigFlags,
  options: LoadSettingsOptions,
): Promise<LoadConfigResult> {
  const result = await loadConfig({ flags, env: process.env })
  if (options.onErrors === 'fail' && result.errors.length > 0) {
    if (!options.json) for (const warning of result.warnings) printWarning(options.term, issueLine(warning))
    const count = result.errors.length
    throw new CliError(`The settings have ${count} error${count === 1 ? '' : 's'}:`, {
      code: 'config_invalid',
      details: result.errors.map((issue) => `  - ${issueLine(issue)}`),
    })
  }
  if (!options.json) for (const warning of result.warnings) printWarning(options.term, issueLine(warning))
  return result
}

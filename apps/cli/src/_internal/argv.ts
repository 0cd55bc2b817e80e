import type { ConfigFlags } from '@airelays/config'
import { usageError } from '../errors'

/**
 * cac parses values with mri, which turns number-like strings into numbers (`--workspace-id 0123`
 * would become 123, `--data-dir 1e3` 1000) and repeated flags into arrays. String flags are
 * therefore read back from the raw argv: the last `--name value` or `--name=value` before `--`.
 * `parsed` is cac's value; when it is undefined the flag was not given.
 */
export function stringFlag(argv: readonly string[], name: string, parsed: unknown): string | undefined {
  if (parsed === undefined || parsed === false) return undefined
  const flag = `--${name}`
  let found: string | undefined
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index] as string
    if (token === '--') break
    if (token.startsWith(`${flag}=`)) found = token.slice(flag.length + 1)
    else if (token === flag && index + 1 < argv.length) found = argv[index + 1]
  }
  if (found !== undefined) return found
  return typeof parsed === 'string' || typeof parsed === 'number' ? String(parsed) : undefined
}

/** Whether a boolean flag appears literally (before `--`). */
export function hasFlag(argv: readonly string[], flag: string): boolean {
  for (const token of argv) {
    if (token === '--') return false
    if (token === flag) return true
  }
  return false
}

/** The global flags every command accepts, before or after the command name. */
export interface GlobalFlags {
  config?: string
  dataDir?: string
  logsDir?: string
  authStorage?: string
  bearerTokenFile?: string
}

const STORAGE_MODES = ['auto', 'file', 'keyring']

/**
 * The global flags as @airelays/config flags. `--auth-storage` must be auto, file or keyring
 * (a usage error otherwise, as with argparse choices in the reference).
 */
export function globalFlags(argv: readonly string[], options: Record<string, unknown>): ConfigFlags {
  const flags: ConfigFlags = {}
  const config = stringFlag(argv, 'config', options.config)
  const dataDir = stringFlag(argv, 'data-dir', options.dataDir)
  const logsDir = stringFlag(argv, 'logs-dir', options.logsDir)
  const authStorage = stringFlag(argv, 'auth-storage', options.authStorage)
  const bearerTokenFile = stringFlag(argv, 'bearer-token-file', options.bearerTokenFile)
  if (config !== undefined) flags.config = nonEmpty('--config', config)
  if (dataDir !== undefined) flags.dataDir = nonEmpty('--data-dir', dataDir)
  if (logsDir !== undefined) flags.logsDir = nonEmpty('--logs-dir', logsDir)
  if (bearerTokenFile !== undefined) flags.bearerTokenFile = nonEmpty('--bearer-token-file', bearerTokenFile)
  if (authStorage !== undefined) {
    if (!STORAGE_MODES.includes(authStorage.trim().toLowerCase())) {
      throw usageError(
        `Invalid value for --auth-storage: '${authStorage}' (choose from auto, file, keyring).`,
      )
    }
    flags.authStorage = authStorage
  }
  return flags
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw usageError(`${flag} needs a non-empty value.`)
  return value
}

/** `--port`: an integer from 1 to 65535 (a usage error otherwise). */
export function portFlag(argv: readonly string[], parsed: unknown): number | undefined {
  const raw = stringFlag(argv, 'port', parsed)
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  const port = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError(`Invalid value for --port: '${raw}' (expected an integer from 1 to 65535).`)
  }
  return port
}

import type { ConfigFlags, ConfigKeyPath, ConfigValueSource, ResolvedConfig } from '@airelays/config'
import { isConfigError, updateConfig } from '@airelays/config'
import { trafficLogFiles } from '@airelays/server'
import { printJson, printWarning, type Terminal } from '../_internal/output'
import { probeRelay } from '../_internal/relay-probe'
import { readConfiguredToken } from '../_internal/relay-token'
import { loadSettings } from '../_internal/settings'
import { CliError, usageError } from '../errors'

/** Options of `airelays logs`. */
export interface LogsOptions {
  flags: ConfigFlags
  json: boolean
  /** `--retention-days N`: the text as typed (validated here). */
  retentionDays?: string
  /** `--max-size <value>`: bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB; 0 means no limit. */
  maxSize?: string
}

/** What happened to a running relay after a change. */
export interface LogsRelayPayload {
  url: string
  running: boolean
  /** True when the running relay took the change through `PUT /v1/relay/logging`; null when nothing was sent. */
  applied: boolean | null
  /** Why the change was not applied to the running relay, when it was not. */
  reason: string | null
}

/** `airelays logs --json`. */
export interface LogsPayload {
  logs_dir: string
  config_file: string
  retention_days: number
  max_total_bytes: number
  size_bytes: number
  file_count: number
  /** The keys written to config_file by this run (empty without `--retention-days` / `--max-size`). */
  changed: string[]
  /** Environment variables or flags that win over config_file for these settings. */
  overridden_by: string[]
  /** Only after a change. */
  relay: LogsRelayPayload | null
}

const MAX_RETENTION_DAYS = 36_500
const RELAY_TIMEOUT_MS = 5000
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
}

/** `--max-size` text as bytes: `1073741824`, `500MB`, `1 GiB`, `0`. */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (!match) return null
  const factor = UNITS[(match[2] ?? '').toLowerCase() || 'b']
  if (factor === undefined) return null
  const bytes = Math.round(Number(match[1]) * factor)
  return Number.isSafeInteger(bytes) ? bytes : null
}

/** Bytes for humans, 1024-based: `1.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`
}

function readUpdates(options: LogsOptions, config: ResolvedConfig): Partial<Record<ConfigKeyPath, number>> {
  const updates: Partial<Record<ConfigKeyPath, number>> = {}
  if (options.retentionDays !== undefined) {
    const text = options.retentionDays.trim()
    const days = /^\d+$/.test(text) ? Number(text) : Number.NaN
    if (!(days <= MAX_RETENTION_DAYS)) {
      throw usageError(
        `--retention-days takes a whole number of days from 0 (keep forever) to ${MAX_RETENTION_DAYS}.`,
      )
    }
    updates['logging.retention_days'] = days
  }
  if (options.maxSize !== undefined) {
    const bytes = parseSize(options.maxSize)
    const floor = config.logging.max_request_log_bytes
    if (bytes === null || (bytes > 0 && bytes < floor)) {
      throw usageError(
        `--max-size takes 0 (no limit) or a size of at least max_request_log_bytes (${formatBytes(floor)}), e.g. 500MB or 2GiB.`,
      )
    }
    updates['logging.max_total_bytes'] = bytes
  }
  return updates
}

function overriddenBy(sources: Partial<Record<ConfigKeyPath, ConfigValueSource>>): string[] {
  const out: string[] = []
  for (const key of ['logging.retention_days', 'logging.max_total_bytes'] as const) {
    const source = sources[key]
    if (source && source.kind !== 'file' && source.kind !== 'default') out.push(source.name)
  }
  return out
}

/** Send the change to a relay running on the configured address, when it is there and takes the token. */
async function applyToRelay(
  config: ResolvedConfig,
  updates: Partial<Record<ConfigKeyPath, number>>,
): Promise<LogsRelayPayload> {
  const probe = await probeRelay(config)
  const later = 'it picks the change up at its next start'
  if (!probe.running)
    return { url: probe.url, running: false, applied: null, reason: `No relay is running; ${later}.` }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  const token = await readConfiguredToken(config)
  if (token.token !== null) headers.authorization = `Bearer ${token.token}`
  const body = {
    retention_days: updates['logging.retention_days'],
    max_total_bytes: updates['logging.max_total_bytes'],
  }
  try {
    const res = await fetch(`${probe.url}/v1/relay/logging`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
    })
    if (res.ok) return { url: probe.url, running: true, applied: true, reason: null }
    const text = await res.text()
    let message = text.slice(0, 200)
    try {
      message = String((JSON.parse(text) as { error?: { message?: unknown } }).error?.message ?? message)
    } catch {}
    return {
      url: probe.url,
      running: true,
      applied: false,
      reason: `The relay answered ${res.status} (${message}); ${later}.`,
    }
  } catch (error) {
    return { url: probe.url, running: true, applied: false, reason: `${(error as Error).message}; ${later}.` }
  }
}

/** `airelays logs`: the traffic log's place, retention, size budget and size on disk; changes them in config.toml. */
export async function runLogs(term: Terminal, options: LogsOptions): Promise<number> {
  const { config, sources } = await loadSettings(options.flags, {
    term,
    json: options.json,
    onErrors: 'fail',
  })
  const updates = readUpdates(options, config)
  const configFile = config.config_file.path
  let changed: string[] = []
  let retention = config.logging.retention_days
  let budget = config.logging.max_total_bytes
  if (Object.keys(updates).length > 0) {
    try {
      changed = (await updateConfig(configFile, updates)).changed
    } catch (error) {
      if (isConfigError(error)) throw new CliError(error.message)
      throw error
    }
    retention = updates['logging.retention_days'] ?? retention
    budget = updates['logging.max_total_bytes'] ?? budget
  }
  const relay = Object.keys(updates).length > 0 ? await applyToRelay(config, updates) : null
  const dir = config.paths.logs_dir
  const files = await trafficLogFiles(dir)
  const payload: LogsPayload = {
    logs_dir: dir,
    config_file: configFile,
    retention_days: retention,
    max_total_bytes: budget,
    size_bytes: files.reduce((n, f) => n + f.size, 0),
    file_count: files.length,
    changed,
    overridden_by: overriddenBy(sources),
    relay,
  }
  if (options.json) {
    printJson(term.out, payload)
    return 0
  }
  printLogs(term, payload)
  return 0
}

function printLogs(term: Terminal, payload: LogsPayload): void {
  const out = term.out
  const style = out.style
  out.title('Logs')
  out.section('Traffic Log')
  out.field('Directory', payload.logs_dir)
  out.field('Retention', payload.retention_days === 0 ? 'forever' : `${payload.retention_days} days`)
  out.field(
    'Size budget',
    payload.max_total_bytes === 0
      ? 'no limit'
      : `${formatBytes(payload.max_total_bytes)} (${payload.max_total_bytes} bytes)`,
  )
  out.field('Size on disk', formatBytes(payload.size_bytes))
  out.field('Files', payload.file_count)
  out.field('Config file', payload.config_file)
  if (payload.relay === null) {
    out.steps('Change', ['airelays logs --retention-days 14', 'airelays logs --max-size 500MB'])
    return
  }
  out.section('Change')
  out.note(
    payload.changed.length > 0
      ? style.green(`Saved ${payload.changed.join(', ')} to ${payload.config_file}.`)
      : `${payload.config_file} already had these values.`,
  )
  const relay = payload.relay
  if (relay.applied) out.note(style.green(`The running relay at ${relay.url} uses them now.`))
  else out.note(relay.reason ?? '')
  if (payload.overridden_by.length > 0) {
    printWarning(
      term,
      `${payload.overridden_by.join(', ')} ${payload.overridden_by.length === 1 ? 'is' : 'are'} set and win${payload.overridden_by.length === 1 ? 's' : ''} over the config file at the next start.`,
    )
  }
}

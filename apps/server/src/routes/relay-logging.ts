import { type ConfigKeyPath, updateConfig } from '@airelays/config'
import { configWriteFailed, invalidValue, relayError } from '../errors/factories'
import { trafficLogFiles } from '../logging/log-budget'
import type { RelayRuntime } from '../runtime'
import type { RelayHandler } from './handler'

/** The handlers of `/v1/relay/logging`. */
export interface RelayLoggingRoutes {
  /** `GET /v1/relay/logging`: retention settings and the traffic log's size on disk. */
  get: RelayHandler
  /**
   * `PUT /v1/relay/logging`: change `retention_days` and/or `max_total_bytes`. With a config file
   * (`RelayOptions.configFile`) the change is saved there first, then applied to the running relay;
   * when saving fails the answer is a 500 `config_write_failed` and the running relay is unchanged.
   */
  put: RelayHandler
}

/** Longest retention accepted, in days (100 years). */
const MAX_RETENTION_DAYS = 36_500
const EDITABLE = ['retention_days', 'max_total_bytes'] as const

function wholeNumber(body: Record<string, unknown>, key: string, max: number): number | undefined {
  const value = body[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalidValue(key, `\`${key}\` must be a whole number from 0 to ${max}.`)
  }
  return value
}

/** `GET`/`PUT /v1/relay/logging` (the Python relay's route; the dashboard's Logs page uses it). */
export function relayLoggingRoutes(rt: RelayRuntime): RelayLoggingRoutes {
  const logging = rt.settings.config.logging
  const dir = rt.settings.config.paths.logs_dir
  const configFile = rt.settings.configFile
  // One save at a time: two PUTs racing on the file must not drop each other's key.
  let saving: Promise<unknown> = Promise.resolve()
  const view = async (): Promise<Record<string, unknown>> => {
    const files = rt.log.enabled ? await trafficLogFiles(dir) : []
    return {
      object: 'relay.logging',
      enabled: rt.log.enabled,
      logs_dir: dir,
      retention_days: rt.log.retention.retentionDays,
      max_total_bytes: rt.log.budget.max,
      max_request_log_bytes: logging.max_request_log_bytes,
      stream_lines: logging.stream_lines,
      size_bytes: files.reduce((n, f) => n + f.size, 0),
      file_count: files.length,
      oldest_file: files[0]?.path.slice(dir.length + 1) ?? null,
      // With a config file, changes are saved to it and survive a restart.
      persistent: configFile !== null,
      config_file: configFile,
      persistent_reason:
        configFile === null
          ? 'The relay runs without a config file (embedded, no configFile option): changes last until it stops.'
          : null,
    }
  }

  const get: RelayHandler = async (req) => req.json(await view())

  const put: RelayHandler = async (req) => {
    const body = await req.readJson({ emptyAsObject: false })
    for (const key of Object.keys(body)) {
      if (!(EDITABLE as readonly string[]).includes(key)) {
        throw invalidValue(key, `\`${key}\` cannot be changed here; send ${EDITABLE.join(' and/or ')}.`)
      }
    }
    const days = wholeNumber(body, 'retention_days', MAX_RETENTION_DAYS)
    const total = wholeNumber(body, 'max_total_bytes', Number.MAX_SAFE_INTEGER)
    if (days === undefined && total === undefined) {
      throw relayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_body',
        param: null,
        message: `Send ${EDITABLE.join(' and/or ')}.`,
      })
    }
    if (total !== undefined && total > 0 && total < logging.max_request_log_bytes) {
      throw invalidValue(
        'max_total_bytes',
        `\`max_total_bytes\` must be 0 (no limit) or at least max_request_log_bytes (${logging.max_request_log_bytes}).`,
      )
    }
    if (configFile !== null) {
      const updates: Partial<Record<ConfigKeyPath, number>> = {
        'logging.retention_days': days,
        'logging.max_total_bytes': total,
      }
      const save = saving.then(() => updateConfig(configFile, updates))
      saving = save.catch(() => undefined)
      try {
        await save
      } catch (error) {
        rt.logger.warn(`Cannot save the logging settings to ${configFile}: ${(error as Error).message}`)
        throw configWriteFailed(configFile, (error as Error).message)
      }
    }
    if (days !== undefined) rt.log.retention.setRetentionDays(days)
    if (total !== undefined) rt.log.budget.max = total
    rt.log.write(req.id, 'logging_settings', { retention_days: days ?? null, max_total_bytes: total ?? null })
    return req.json(await view())
  }

  return { get, put }
}

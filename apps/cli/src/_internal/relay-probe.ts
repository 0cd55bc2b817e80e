// Is a relay already answering on the configured address? `status` asks `/healthz` (loopback, one
// short request) so it never suggests `serve` while a relay runs.
import type { ResolvedConfig } from '@airelays/config'
import { connectHost, originFor } from './client'

/** What `GET /healthz` on the configured host and port said. */
export interface RelayProbe {
  /** `http://host:port`. */
  url: string
  /** An AIRelays relay answered. */
  running: boolean
  /** Its version, when it answered. */
  version: string | null
}

const PROBE_TIMEOUT_MS = 1000

/** Ask the configured address for `/healthz`; any failure means "not running". */
export async function probeRelay(config: ResolvedConfig): Promise<RelayProbe> {
  const url = originFor(connectHost(config.server.host), config.server.port)
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    const body = (await response.json()) as { ok?: unknown; app_name?: unknown; version?: unknown }
    const running = response.ok && body.ok === true && body.app_name === 'AIRelays'
    return { url, running, version: running && typeof body.version === 'string' ? body.version : null }
  } catch {
    return { url, running: false, version: null }
  }
}

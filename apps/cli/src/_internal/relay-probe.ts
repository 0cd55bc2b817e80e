// Is a relay already answering on the configured address? `status` asks `/healthz` (loopback, one
// short request) so it never suggests `serve` while a relay runs. node:http rather than fetch:
// the first fetch loads Node's own copy of undici, about 30 ms of `status` for one small GET.
import { get } from 'node:http'
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

/** GET `url` and parse its JSON body; rejects on any failure or after `timeoutMs` in all. */
function getJson(url: string, timeoutMs: number): Promise<{ ok: boolean; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        try {
          const status = response.statusCode ?? 0
          resolve({
            ok: status >= 200 && status < 300,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          })
        } catch (error) {
          reject(error)
        }
      })
    })
    request.on('error', reject)
  })
}

/** Ask the configured address for `/healthz`; any failure means "not running". */
export async function probeRelay(config: ResolvedConfig): Promise<RelayProbe> {
  const url = originFor(connectHost(config.server.host), config.server.port)
  try {
    const response = await getJson(`${url}/healthz`, PROBE_TIMEOUT_MS)
    const body = (response.body ?? {}) as { ok?: unknown; app_name?: unknown; version?: unknown }
    const running = response.ok && body.ok === true && body.app_name === 'AIRelays'
    return { url, running, version: running && typeof body.version === 'string' ? body.version : null }
  } catch {
    return { url, running: false, version: null }
  }
}

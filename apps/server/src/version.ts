import packageJson from '../package.json'

/** The version of @airelays/server (reported by `/healthz`, `/` and `/v1/relay/status`). */
export const RELAY_VERSION: string = packageJson.version

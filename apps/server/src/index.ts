// Public API of @airelays/server.

// App and listener
export { createRelayApp } from './app'
export { serveRelay } from './node'
export type { RelayServer } from './node'
export type { RelayLogger, RelayOptions, ServeRelayOptions } from './options'

// Errors
export { isRelayError, RelayError, toRelayError } from './errors'
export type { ErrorEnvelope, RelayErrorInit } from './errors'

// Version
export { RELAY_VERSION } from './version'

// Public API of @airelays/server.

// App and listener
export { createRelayApp } from './app'
export { serveRelay } from './node'
export type { RelayServer } from './node'
export type { RelayLogger, RelayOptions, ServeRelayOptions } from './options'
export type { HostLookup } from './security/bind-address'

// Traffic log
export { trafficLogFiles } from './logging/log-budget'

// Errors
export { isRelayError, RelayError } from './errors/relay-error'
export type { ErrorEnvelope, RelayErrorInit } from './errors/relay-error'
export { toRelayError } from './errors/to-relay-error'

// Version
export { RELAY_VERSION } from './version'

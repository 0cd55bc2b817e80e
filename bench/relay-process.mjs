// The relay as its own process, without the CLI: resolves the settings from the environment with
// the built @airelays/config and listens with the built @airelays/server (serveRelay), exactly as
// `airelays serve` would. bench/run.mjs uses it with `--relay server`, or when the CLI is not built.
//
//   node bench/relay-process.mjs --port N [--host 127.0.0.1]
//
// Prints {"url": "..."} once listening; SIGTERM/SIGINT shut it down gracefully.

import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  process.exit(2)
}

const { loadConfig } = await import('../packages/config/dist/index.js')
const { serveRelay } = await import('../apps/server/dist/index.js')

const { config, errors } = await loadConfig()
for (const issue of errors) console.error(issue.message)
const relay = await serveRelay({ config, host: values.host, port, handleSignals: true })
process.stdout.write(`${JSON.stringify({ url: relay.url })}\n`)
relay.server.once('close', () => {
  process.exitCode = 0
})

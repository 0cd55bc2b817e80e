// A relay in its own process, for the shutdown tests (B11 D): serveRelay with signal handling.
// argv[2] is JSON: { env, dataDir, port?, graceMs? }. Prints {"url"} on stdout once listening.
import { loadConfig } from '@airelays/config'
import { serveRelay } from '@airelays/server'

interface ChildArgs {
  env: Record<string, string>
  dataDir: string
  port?: number
  graceMs?: number
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`UNHANDLED_REJECTION ${String(reason)}\n`)
  process.exitCode = 70
})
process.on('uncaughtException', (error) => {
  process.stderr.write(`UNCAUGHT_EXCEPTION ${error.stack ?? String(error)}\n`)
  process.exit(71)
})
const { config } = await loadConfig({ env: args.env, homeDir: args.dataDir, cwd: args.dataDir })
const relay = await serveRelay({
  config,
  host: '127.0.0.1',
  port: args.port ?? 0,
  handleSignals: true,
  ...(args.graceMs === undefined ? {} : { shutdownGraceMs: args.graceMs }),
  logger: {
    warn: (message) => process.stderr.write(`WARN ${message}\n`),
    error: (message) => process.stderr.write(`ERROR ${message}\n`),
  },
})
process.stdout.write(`${JSON.stringify({ url: relay.url })}\n`)

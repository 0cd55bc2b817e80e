// The relay as its own process, without the CLI: resolves the settings from the environment with
// the built @airelays/config and listens with the built @airelays/server (serveRelay), exactly as
// `airelays serve` would. bench/run.mjs uses it with `--relay server`, or when the CLI is not built.
//
//   node bench/relay-process.mjs --port N [--host 127.0.0.1] [--ablate LIST]
//
// Prints {"url": "..."} once listening; SIGTERM/SIGINT shut it down gracefully.
//
// --ablate is for diagnosis only (bench/run.mjs --ablate): it removes one cost from the request
// path so a benchmark run can attribute added latency to it. Comma-separated:
//   cached-credentials  the upstream credentials are read from auth.json once and kept in memory
//                       (a save writes through), instead of a file read per request
//   no-traffic-log      the traffic log is off (trafficLog: false)

import { parseArgs } from 'node:util'

const ABLATIONS = ['cached-credentials', 'no-traffic-log']

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    ablate: { type: 'string', default: '' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  process.exit(2)
}
const ablate = new Set(
  values.ablate
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
)
for (const a of ablate) {
  if (!ABLATIONS.includes(a)) {
    console.error(`--ablate: unknown "${a}"; use ${ABLATIONS.join(', ')}`)
    process.exit(2)
  }
}

const { loadConfig } = await import('../packages/config/dist/index.js')
const { serveRelay } = await import('../apps/server/dist/index.js')

const { config, errors } = await loadConfig()
for (const issue of errors) console.error(issue.message)

const options = { config, host: values.host, port, handleSignals: true }
if (ablate.has('no-traffic-log')) options.trafficLog = false
if (ablate.has('cached-credentials')) {
  const { createAuthStore, credentialStoreFor } = await import('../packages/auth-store/dist/index.js')
  const store = credentialStoreFor(
    createAuthStore({ mode: config.auth.storage, dataDir: config.paths.data_dir }),
  )
  let cached
  options.credentials = {
    load: () => {
      cached ??= store.load()
      return cached
    },
    save: async (auth) => {
      await store.save(auth)
      cached = Promise.resolve(auth)
    },
    delete: async () => {
      await store.delete?.()
      cached = undefined
    },
  }
}

const relay = await serveRelay(options)
process.stdout.write(`${JSON.stringify({ url: relay.url, ablate: [...ablate] })}\n`)

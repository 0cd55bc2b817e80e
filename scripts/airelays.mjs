#!/usr/bin/env node
// `pnpm airelays …` and `pnpm demo` in a checkout: build the CLI and what it imports (turbo, cached),
// then run it. Turbo's output is shown only when the build fails, so `pnpm --silent airelays token
// show --raw` prints the token and nothing else.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const build = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', '--filter=airelays...', '--output-logs=errors-only'],
  {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
  },
)
if (build.status !== 0) {
  process.stderr.write(build.stdout ?? '')
  process.stderr.write(build.stderr ?? '')
  if (build.error) process.stderr.write(`${build.error.message}\n`)
  process.exit(build.status ?? 1)
}
// Ctrl-C reaches the CLI too (same process group); this wrapper waits for it to finish shutting down.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {})
const cli = spawnSync(process.execPath, [join(root, 'apps/cli/bin/airelays.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
})
if (cli.signal) process.kill(process.pid, cli.signal)
process.exit(cli.status ?? 1)

#!/usr/bin/env node
// Runs every package's tests through turbo and prints one plain line: `N passed, N failed`.
//
// When gnome-keyring and dbus-run-session are installed (as .ci/run does), the whole run happens
// inside a private D-Bus session with a throwaway, unlocked Secret Service, so the keychain driver of
// @airelays/auth-store is tested for real. Without them, those tests are skipped with a message.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

if (!process.env.AIRELAYS_TEST_IN_DBUS && has('dbus-run-session') && has('gnome-keyring-daemon')) {
  const keyringHome = mkdtempSync(join(tmpdir(), 'airelays-keyring-'))
  const script =
    'echo -n airelays | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec node "$0" "$@"'
  const result = spawnSync(
    'dbus-run-session',
    ['--', 'sh', '-c', script, join(root, 'scripts/test.mjs'), ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, AIRELAYS_TEST_IN_DBUS: '1', XDG_DATA_HOME: keyringHome },
    },
  )
  rmSync(keyringHome, { recursive: true, force: true })
  process.exit(result.status ?? 1)
}

const workspaces = ['packages', 'apps'].flatMap((group) =>
  existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [],
)
for (const dir of workspaces) rmSync(join(dir, 'test-results.json'), { force: true })

// One package at a time: several suites hold hundreds of concurrent streams, and on a 2-core machine
// running them side by side would measure the machine, not the code.
const turbo = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', '--output-logs=full', ...args],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
)

let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const dir of workspaces) {
  const report = join(dir, 'test-results.json')
  const pkg = join(dir, 'package.json')
  if (!existsSync(pkg)) continue
  const { scripts = {} } = JSON.parse(readFileSync(pkg, 'utf8'))
  if (!scripts.test) continue
  if (!existsSync(report)) {
    missing.push(dir.slice(root.length + 1))
    continue
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed += json.numPassedTests ?? 0
  // A test file that fails to load has no failed *test*, but it is a failure all the same.
  const failedLoads = (json.testResults ?? []).filter(
    (file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0,
  ).length
  failed += (json.numFailedTests ?? 0) + failedLoads
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
}
for (const dir of missing) {
  console.error(`no test report from ${dir}: its test run did not complete`)
  failed += 1
}
const ok = turbo.status === 0 && failed === 0
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(ok ? 0 : 1)

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import packageJson from '../package.json'
import { CliProcess, createSandbox, freePort, killAll, runCli, runJson, type Sandbox } from './_helpers'

const ESC = '\u001b['

let box: Sandbox
beforeEach(async () => {
  box = await createSandbox()
})
afterEach(async () => {
  await killAll()
  await box.cleanup()
})

describe('version and help', () => {
  it('prints the version for --version and -v', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag], box.env())
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`airelays ${packageJson.version}\n`)
      expect(result.stderr).toBe('')
    }
  })

  it('prints help with every command and exits 0', async () => {
    const result = await runCli(['--help'], box.env())
    expect(result.code).toBe(0)
    for (const command of [
      'init',
      'login',
      'logout',
      'serve',
      'status',
      'token',
      'doctor',
      'models',
      'logs',
      'demo',
    ]) {
      expect(result.stdout).toContain(`  ${command}`)
    }
    expect(result.stdout).toContain('--auth-storage <mode>')
  })
})

describe('per-command help', () => {
  it('shows the description, no invented defaults, and exits 0', async () => {
    const cases: [string, string, string[]][] = [
      ['login', 'Sign in with your ChatGPT subscription', ['--no-browser', '--browser', '--device']],
      ['init', 'Write the config file and create a relay token', ['--no-auth', '--force']],
      ['serve', 'Run the relay', ['--no-auth', '--host <host>', '--port <port>']],
      ['status', 'Show the settings, the relay token and the ChatGPT login', ['--json']],
    ]
    for (const [command, description, options] of cases) {
      const result = await runCli([command, '--help'], box.env())
      expect(result.code, command).toBe(0)
      expect(result.stdout.startsWith(`airelays ${command}\n\n${description}\n`), result.stdout).toBe(true)
      expect(result.stdout).toContain(`  $ airelays ${command}\n`)
      for (const option of options) expect(result.stdout).toContain(`  ${option} `)
      // cac would print "(default: true)" next to --no-browser / --no-auth: they are off unless given.
      expect(result.stdout).not.toContain('(default:')
    }
  })

  it('token shows its show | rotate usage', async () => {
    const result = await runCli(['token', '--help'], box.env())
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Show or rotate the relay token')
    expect(result.stdout).toContain(
      '\nUsage:\n  $ airelays token show [--raw | --json]\n  $ airelays token rotate [--json]\n',
    )
    expect(result.stdout).toContain('  --raw ')
  })

  it('--no-auth still switches auth off, and only when given', async () => {
    const on = await runJson<{ client: { requires_bearer_auth: boolean } }>(['init', '--json'], box.env())
    expect(on.json.client.requires_bearer_auth).toBe(true)
    const off = await runJson<{ client: { requires_bearer_auth: boolean } }>(
      ['init', '--force', '--no-auth', '--json'],
      box.env(),
    )
    expect(off.json.client.requires_bearer_auth).toBe(false)
  })
})

describe('usage errors exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /Unknown command `frobnicate`/],
    ['an unknown option', ['status', '--bogus'], /Unknown option `--bogus`/],
    ['a missing command', [], /Missing command/],
    ['a missing token action', ['token'], /Missing token action/],
    ['an unknown token action', ['token', 'burn'], /Unknown token action `burn`/],
    ['an extra argument', ['status', 'extra'], /Unused args/],
    ['a flag without its value', ['status', '--data-dir'], /value is missing/],
    ['a bad --port', ['serve', '--port', '80a'], /Invalid value for --port: '80a'/],
    [
      'a bad --auth-storage',
      ['status', '--auth-storage', 'cloud'],
      /Invalid value for --auth-storage: 'cloud'/,
    ],
  ]
  for (const [name, args, message] of cases) {
    it(`for ${name}`, async () => {
      const result = await runCli(args, box.env())
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toContain('Run `airelays --help` for usage.')
      expect(result.stderr).not.toMatch(/\n\s+at /)
    })
  }
})

describe('reported errors exit 1', () => {
  it('lists every configuration error and runs nothing', async () => {
    await mkdir(dirname(box.configPath), { recursive: true })
    await writeFile(box.configPath, '[server]\nport = "eighty"\n\n[auth]\nlogin_timeout_seconds = -5\n')
    const result = await runCli(['token', 'show'], box.env({ AIRELAYS_RATE_LIMIT_BURST: 'many' }))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/The settings have 3 errors:/)
    expect(result.stderr).toMatch(/\[server\] port/)
    expect(result.stderr).toMatch(/login_timeout_seconds/)
    expect(result.stderr).toMatch(/AIRELAYS_RATE_LIMIT_BURST/)
    expect(result.stdout).toBe('')
  })

  it('status reports configuration errors instead of failing', async () => {
    const { result, json } = await runJson<{ config: { errors: { code: string; key: string }[] } }>(
      ['status', '--json'],
      box.env({ AIRELAYS_PORT: '80a' }),
    )
    expect(result.code).toBe(0)
    expect(json.config.errors).toEqual([
      expect.objectContaining({ code: 'config_invalid_value', key: 'server.port' }),
    ])
  })

  it('models says how to start a relay when none runs', async () => {
    const port = await freePort()
    const result = await runCli(['models'], box.env({ AIRELAYS_PORT: String(port) }))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `Error: No running relay at http://127.0.0.1:${port}/v1. Start it with \`airelays serve\`, then retry.\n`,
    )
  })

  it('serve refuses to start with bearer auth on and no relay token', async () => {
    const result = await runCli(['serve', '--port', String(await freePort())], box.env())
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'Error: Bearer authentication is enabled, but no relay token is configured. Run `airelays init` or set AIRELAYS_BEARER_TOKEN.\n',
    )
  })

  it('login refuses when the OpenAI runtime is disabled', async () => {
    const result = await runCli(['login', '--device'], box.env({ AIRELAYS_ENABLE_OPENAI: 'false' }))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'The OpenAI subscription runtime is disabled for this AIRelays process. Enable `[providers.openai].enabled` to use `airelays login`.',
    )
  })

  it.skipIf(process.platform !== 'linux')(
    'an explicit keyring mode without a reachable keychain fails before the login starts',
    async () => {
      const result = await runCli(
        ['login', '--device', '--auth-storage', 'keyring'],
        box.env({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(box.dir, 'no-bus')}` }),
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^Error: The Secret Service is not available/)
      expect(result.stdout).not.toContain('Enter this code')
    },
  )
})

describe('unexpected errors', () => {
  it('print a short report with versions and where to report, exit 70', async () => {
    const result = await runCli(['status', '--json'], box.env(), {
      nodeArgs: ['--import', './test/fixtures/crash.mjs'],
    })
    expect(result.code).toBe(70)
    expect(result.stderr).toContain('AIRelays hit an unexpected error. This is a bug in AIRelays.')
    expect(result.stderr).toMatch(/Error:\s+TypeError: simulated bug in the JSON printer/)
    expect(result.stderr).toMatch(/Command:\s+airelays status/)
    expect(result.stderr).toContain(
      `airelays ${packageJson.version}, node ${process.version}, ${process.platform} ${process.arch}`,
    )
    expect(result.stderr).toContain('https://github.com/airelays/airelays/issues/new')
  })
})

describe('closed output', () => {
  it('a reader that stops early (EPIPE) ends the command quietly', async () => {
    const child = new CliProcess(['status'], box.env())
    child.child.stdout?.destroy()
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.stderr).not.toMatch(/EPIPE|\n\s+at /)
  })
})

describe('global flags', () => {
  it('are accepted before and after the command', async () => {
    const other = join(box.dir, 'other-data')
    for (const args of [
      ['--data-dir', other, 'status', '--json'],
      ['status', '--json', '--data-dir', other],
      ['status', `--data-dir=${other}`, '--json'],
    ]) {
      const { result, json } = await runJson<{ relay: { data_dir: string; bearer_token_file: string } }>(
        args,
        box.env(),
      )
      expect(result.code).toBe(0)
      expect(json.relay.data_dir).toBe(other)
      expect(json.relay.bearer_token_file).toBe(join(other, 'relay-token'))
    }
  })

  it('keep number-like values as written', async () => {
    const { json } = await runJson<{ relay: { data_dir: string } }>(
      ['status', '--json', '--data-dir', '007'],
      {
        ...box.env(),
      },
    )
    expect(json.relay.data_dir.endsWith('/007')).toBe(true)
  })

  it('--config, --logs-dir, --bearer-token-file and --auth-storage reach the settings', async () => {
    const config = join(box.dir, 'custom.toml')
    const logs = join(box.dir, 'logs')
    const tokenFile = join(box.dir, 'token')
    const { json } = await runJson<{
      relay: { config_path: string; logs_dir: string; bearer_token_file: string; auth_storage_mode: string }
      config: { non_default: Record<string, { kind: string; name?: string }> }
    }>(
      [
        'status',
        '--json',
        '--config',
        config,
        '--logs-dir',
        logs,
        '--bearer-token-file',
        tokenFile,
        '--auth-storage',
        'FILE',
      ],
      box.env(),
    )
    expect(json.relay).toMatchObject({
      config_path: config,
      logs_dir: logs,
      bearer_token_file: tokenFile,
      auth_storage_mode: 'file',
    })
    expect(json.config.non_default['paths.logs_dir']).toEqual({ kind: 'flag', name: '--logs-dir' })
  })
})

describe('colour', () => {
  it('is off when NO_COLOR, CLICOLOR=0 or TERM=dumb is set, or output is not a TTY', async () => {
    for (const extra of [
      { NO_COLOR: '1' },
      { NO_COLOR: undefined },
      { NO_COLOR: '1', FORCE_COLOR: '1' },
      { NO_COLOR: undefined, FORCE_COLOR: '1', CLICOLOR: '0' },
      { NO_COLOR: undefined, FORCE_COLOR: '1', TERM: 'dumb' },
    ]) {
      const result = await runCli(['status'], box.env(extra))
      expect(result.code).toBe(0)
      expect(result.stdout).not.toContain(ESC)
    }
  })

  it('titles are bold cyan and headings bold when colour is on', async () => {
    const result = await runCli(['status'], box.env({ NO_COLOR: undefined, FORCE_COLOR: '1' }))
    expect(result.stdout).toContain(
      `${ESC}1m${ESC}36mAIRelays ${packageJson.version} Status${ESC}39m${ESC}22m`,
    )
    expect(result.stdout).toContain(`${ESC}1mUpstream Session${ESC}22m`)
  })
})

describe('init', () => {
  it('writes a 0600 config and a 43-character 0600 token, once', async () => {
    const first = await runJson<Record<string, unknown> & { client: Record<string, unknown> }>(
      ['init', '--json'],
      box.env(),
    )
    expect(first.result.code).toBe(0)
    const token = await readFile(join(box.dataDir, 'relay-token'), 'utf8')
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}\n$/)
    expect(first.json).toEqual({
      app_name: 'AIRelays',
      config_path: box.configPath,
      config_created: true,
      config_written: true,
      bearer_token_file: join(box.dataDir, 'relay-token'),
      bearer_token_created: true,
      bearer_token_source: 'file',
      relay_token: token.trim(),
      client: {
        base_url: 'http://127.0.0.1:8080/v1',
        models_url: 'http://127.0.0.1:8080/v1/models',
        requires_bearer_auth: true,
        authorization_header: 'Authorization: Bearer <AIRelays token>',
        token_file: join(box.dataDir, 'relay-token'),
        reveal_token_command: 'airelays token show',
        rotate_token_command: 'airelays token rotate',
        relay_token: token.trim(),
      },
      next_steps: ['airelays login --device', 'airelays serve --host 127.0.0.1 --port 8080'],
    })
    expect((await stat(box.configPath)).mode & 0o777).toBe(0o600)
    expect((await stat(join(box.dataDir, 'relay-token'))).mode & 0o777).toBe(0o600)
    const toml = await readFile(box.configPath, 'utf8')
    expect(toml).toContain('[server]')
    expect(toml).toContain(`data_dir = "${box.dataDir}"`)

    const second = await runJson<{
      config_created: boolean
      config_written: boolean
      bearer_token_created: boolean
      relay_token: string | null
    }>(['init', '--json'], box.env())
    expect(second.json).toMatchObject({
      config_created: false,
      config_written: false,
      bearer_token_created: false,
      relay_token: null,
    })
    const shown = await runJson<{ relay_token: string | null }>(['init', '--json', '--show-token'], box.env())
    expect(shown.json.relay_token).toBe(token.trim())
    const forced = await runJson<{ config_created: boolean; config_written: boolean }>(
      ['init', '--json', '--force'],
      box.env(),
    )
    expect(forced.json).toMatchObject({ config_created: false, config_written: true })
    expect(await readFile(join(box.dataDir, 'relay-token'), 'utf8')).toBe(token)
  })

  it('refuses a weak existing token (file or AIRELAYS_BEARER_TOKEN) unless opted in (issue 26)', async () => {
    await mkdir(box.dataDir, { recursive: true })
    await writeFile(join(box.dataDir, 'relay-token'), '1234\n', { mode: 0o600 })
    const fromFile = await runCli(['init'], box.env())
    expect(fromFile.code).toBe(1)
    expect(fromFile.stderr).toContain(
      `Error: The relay token (from ${join(box.dataDir, 'relay-token')}) is weak (under 128 bits), so \`airelays serve\` would refuse it.`,
    )
    const fromEnv = await runCli(['init'], box.env({ AIRELAYS_BEARER_TOKEN: 'hunter2hunter2' }))
    expect(fromEnv.code).toBe(1)
    expect(fromEnv.stderr).toContain(
      'Error: The relay token (from AIRELAYS_BEARER_TOKEN) is weak (under 128 bits)',
    )
    const optedIn = await runCli(['init'], box.env({ AIRELAYS_ALLOW_WEAK_BEARER_TOKEN: 'true' }))
    expect(optedIn.code).toBe(0)
    expect(optedIn.stderr).toContain('looks weak (under 128 bits)')
    // The weak token is reported, never replaced behind the user's back.
    expect(await readFile(join(box.dataDir, 'relay-token'), 'utf8')).toBe('1234\n')
  })

  it('--no-auth writes a disabled config and no token', async () => {
    const { result, json } = await runJson<Record<string, unknown>>(
      ['init', '--no-auth', '--json'],
      box.env(),
    )
    expect(result.code).toBe(0)
    expect(json).toMatchObject({
      bearer_token_created: false,
      bearer_token_source: null,
      relay_token: null,
      client: {
        requires_bearer_auth: false,
        api_key_note: expect.stringContaining('any non-empty placeholder'),
      },
      next_steps: ['airelays login --device', 'airelays serve --host 127.0.0.1 --port 8080 --no-auth'],
    })
    expect(await readFile(box.configPath, 'utf8')).toMatch(/require_bearer_auth = false/)
    await expect(stat(join(box.dataDir, 'relay-token'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('prints the human sections', async () => {
    const result = await runCli(['init'], box.env())
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^AIRelays \S+ Init\n/)
    expect(result.stdout).toContain(`  Config file:      ${box.configPath} (created)`)
    expect(result.stdout).toContain('  Relay token:      created')
    expect(result.stdout).toContain('\nClient Setup\n')
    expect(result.stdout).toContain(
      '\nNext Steps\n  1. airelays login --device\n  2. airelays serve --host 127.0.0.1 --port 8080\n',
    )
  })
})

describe('status settings', () => {
  it('lists only values that differ from the default, so a fresh init shows none', async () => {
    // The default data dir (under the sandbox HOME) and storage mode: nothing set by the environment.
    const env = box.env({ AIRELAYS_DATA_DIR: undefined, AIRELAYS_AUTH_STORAGE: undefined })
    expect((await runCli(['init'], env)).code).toBe(0)
    const fresh = await runCli(['status'], env)
    expect(fresh.code).toBe(0)
    const settings = (text: string): string =>
      text.slice(text.indexOf('\nSettings\n'), text.indexOf('\nClient Setup\n'))
    expect(settings(fresh.stdout)).toBe('\nSettings\n  All settings are at their defaults.\n')

    // A changed value is listed with its origin; a variable repeating the default is not.
    const toml = await readFile(box.configPath, 'utf8')
    await writeFile(box.configPath, toml.replace('port = 8080', 'port = 9090'))
    const line = toml.split('\n').indexOf('port = 8080') + 1
    const changedEnv = { ...env, AIRELAYS_RATE_LIMIT_BURST: '40', AIRELAYS_LOG_RETENTION_DAYS: '7' }
    const changed = await runCli(['status'], changedEnv)
    expect(settings(changed.stdout)).toBe(
      [
        '\nSettings',
        // Values line up after the longest key.
        `  server.port:            9090 (file ${box.configPath}:${line})`,
        '  logging.retention_days: 7 (env AIRELAYS_LOG_RETENTION_DAYS)',
        '',
      ].join('\n'),
    )

    // --json keeps the origin of every key that was given a value, defaults included.
    const { json } = await runJson<{ config: { non_default: Record<string, { kind: string }> } }>(
      ['status', '--json'],
      changedEnv,
    )
    expect(json.config.non_default['server.port']).toEqual({ kind: 'file', path: box.configPath, line })
    expect(json.config.non_default['server.host']).toMatchObject({ kind: 'file', path: box.configPath })
    expect(json.config.non_default['security.rate_limit_burst']).toEqual({
      kind: 'env',
      name: 'AIRELAYS_RATE_LIMIT_BURST',
    })
  })

  it('a moved data dir is one change; the paths that follow it are not', async () => {
    const env = box.env({ AIRELAYS_AUTH_STORAGE: undefined })
    expect((await runCli(['init'], env)).code).toBe(0)
    const result = await runCli(['status'], env)
    const section = result.stdout.slice(
      result.stdout.indexOf('\nSettings\n'),
      result.stdout.indexOf('\nClient Setup\n'),
    )
    expect(section).toBe(`\nSettings\n  paths.data_dir:   ${box.dataDir} (env AIRELAYS_DATA_DIR)\n`)
  })
})

describe('token', () => {
  it('show and rotate, human and JSON', async () => {
    const missing = await runJson<Record<string, unknown>>(['token', 'show', '--json'], box.env())
    expect(missing.json).toMatchObject({
      bearer_token_present: false,
      bearer_token_source: null,
      relay_token: null,
      next_steps: ['airelays init', 'airelays token rotate'],
    })

    const rotated = await runJson<{
      relay_token: string
      bearer_token_source: string
      bearer_token_file: string
      bearer_token_fingerprint: string
      client: { relay_token: string }
    }>(['token', 'rotate', '--json'], box.env())
    expect(rotated.result.code).toBe(0)
    expect(rotated.json.relay_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(rotated.json).toMatchObject({
      bearer_token_source: 'file',
      bearer_token_file: join(box.dataDir, 'relay-token'),
      bearer_token_fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
      client: { relay_token: rotated.json.relay_token },
    })

    const shown = await runJson<Record<string, unknown>>(['token', 'show', '--json'], box.env())
    expect(Object.keys(shown.json)).toEqual([
      'bearer_token_present',
      'bearer_token_file',
      'bearer_token_source',
      'relay_token',
      'client',
      'next_steps',
    ])
    expect(Object.keys(rotated.json)).toEqual([
      'bearer_token_file',
      'bearer_token_source',
      'relay_token',
      'bearer_token_fingerprint',
      'client',
    ])
    expect(shown.json).toMatchObject({
      bearer_token_present: true,
      bearer_token_source: 'file',
      relay_token: rotated.json.relay_token,
      client: { relay_token: rotated.json.relay_token },
      next_steps: [],
    })
    const human = await runCli(['token', 'show'], box.env())
    expect(human.stdout).toContain(`\nRelay token\n  ${rotated.json.relay_token}\n`)
    // Printed once: the client setup does not repeat it.
    expect(human.stdout.split(rotated.json.relay_token)).toHaveLength(2)

    const rotateHuman = await runCli(['token', 'rotate'], box.env())
    expect(rotateHuman.stdout).toContain(
      'Next Steps\n  1. Update any clients that still use the old relay token.',
    )
  })

  it('show --raw prints only the token and a newline, for scripts', async () => {
    const missing = await runCli(['token', 'show', '--raw'], box.env())
    expect(missing.code).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toBe(
      'Error: Bearer authentication is enabled, but no relay token is configured. Run `airelays init` or set AIRELAYS_BEARER_TOKEN.\n',
    )
    const authOff = await runCli(
      ['token', 'show', '--raw'],
      box.env({ AIRELAYS_REQUIRE_BEARER_AUTH: 'false' }),
    )
    expect(authOff.code).toBe(1)
    expect(authOff.stdout).toBe('')
    expect(authOff.stderr).toContain('No relay token is configured (bearer auth is disabled')

    const rotated = await runJson<{ relay_token: string }>(['token', 'rotate', '--json'], box.env())
    const raw = await runCli(['token', 'show', '--raw'], box.env())
    expect(raw).toMatchObject({ code: 0, stdout: `${rotated.json.relay_token}\n`, stderr: '' })
    // global flags still apply; the environment token wins as everywhere else
    const fromEnv = await runCli(
      ['--data-dir', box.dataDir, 'token', 'show', '--raw'],
      box.env({ AIRELAYS_BEARER_TOKEN: 'from-the-environment-0123456789abcdef' }),
    )
    expect(fromEnv.stdout).toBe('from-the-environment-0123456789abcdef\n')

    for (const args of [
      ['token', 'show', '--raw', '--json'],
      ['token', 'rotate', '--raw'],
    ]) {
      const refused = await runCli(args, box.env())
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.stdout).toBe('')
    }
    // nothing was rotated by the refused command
    expect((await runCli(['token', 'show', '--raw'], box.env())).stdout).toBe(`${rotated.json.relay_token}\n`)
  })

  it('rotate warns that AIRELAYS_BEARER_TOKEN still wins', async () => {
    const env = box.env({ AIRELAYS_BEARER_TOKEN: 'from-the-environment-0123456789abcdef' })
    const { result, json } = await runJson<{ bearer_token_source: string }>(
      ['token', 'rotate', '--json'],
      env,
    )
    expect(json.bearer_token_source).toBe('env')
    expect(result.stderr).toContain('AIRELAYS_BEARER_TOKEN is set, so it still wins')
    const shown = await runJson<{ relay_token: string; bearer_token_source: string }>(
      ['token', 'show', '--json'],
      env,
    )
    expect(shown.json).toMatchObject({
      relay_token: 'from-the-environment-0123456789abcdef',
      bearer_token_source: 'env',
    })
  })
})

describe('client version', () => {
  it('status follows a newer installed codex, never an older one; a configured version wins', async () => {
    const bin = join(box.dir, 'bin')
    await mkdir(bin, { recursive: true })
    const fakeCodex = async (version: string) =>
      writeFile(join(bin, 'codex'), `#!/bin/sh\necho "codex-cli ${version}"\n`, { mode: 0o755 })
    const env = (extra: Record<string, string> = {}) =>
      box.env({ PATH: `${bin}:${process.env.PATH ?? ''}`, ...extra })
    const versionOf = async (extra?: Record<string, string>) =>
      (await runJson<{ client_version: unknown }>(['status', '--json'], env(extra))).json.client_version

    await fakeCodex('0.180.2')
    expect(await versionOf()).toEqual({ version: '0.180.2', source: 'installed_codex' })
    expect(await versionOf({ AIRELAYS_CLIENT_VERSION: '0.160.0' })).toEqual({
      version: '0.160.0',
      source: 'config',
    })
    await fakeCodex('0.150.0')
    expect(await versionOf()).toEqual({ version: '0.171.0', source: 'default' })
  })
})

describe('status without a login', () => {
  it('shows the reference wording and next steps', async () => {
    await runCli(['init'], box.env())
    const result = await runCli(['status'], box.env())
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^AIRelays \S+ Status\n/)
    expect(result.stdout).toContain('\nRelay\n')
    expect(result.stdout).toContain('  Relay token:      present\n')
    expect(result.stdout).toContain('\nUpstream Session\n')
    expect(result.stdout).toContain('  Ready:            no\n')
    expect(result.stdout).toContain(`  Auth store:       file: ${join(box.dataDir, 'auth.json')}\n`)
    expect(result.stdout).toContain('  Claude:           not supported by this version\n')
    // the Claude model map of [providers.anthropic]
    expect(result.stdout).toContain('\nClaude Models\n  opus → gpt-5.5 (high)\n  sonnet → gpt-5.5 (medium)\n')
    expect(result.stdout).toContain('\nNext Steps\n  1. airelays login --device\n')
  })

  it('--json has the documented fields', async () => {
    const { json } = await runJson<Record<string, Record<string, unknown>>>(['status', '--json'], box.env())
    expect(Object.keys(json)).toEqual([
      'relay',
      'server',
      'client_version',
      'catalog',
      'catalog_error',
      'auth',
      'providers',
      'client',
      'config',
      'usage',
      'usage_error',
      'next_steps',
    ])
    // No relay answers on the configured port in this sandbox.
    expect(json.server).toMatchObject({ running: false, version: null })
    expect(json.relay).toMatchObject({
      app_name: 'AIRelays',
      config_exists: false,
      bearer_token_present: false,
      bearer_token_source: null,
      client_base_url: 'http://127.0.0.1:8080/v1',
    })
    expect(json.auth).toEqual({
      enabled: true,
      credentials_present: false,
      authenticated: false,
      account_bound: false,
      ready_for_requests: false,
      email: null,
      plan_type: null,
      account_id: null,
      bound_account_id: null,
      last_refresh: null,
      storage_mode: 'file',
      storage_driver: 'file',
      storage_location: join(box.dataDir, 'auth.json'),
      storage_reason: null,
      auth_store_path: join(box.dataDir, 'auth.json'),
      keyring_service: null,
      error: null,
    })
    expect(json.providers).toEqual({
      openai: { enabled: true, ready: false },
      anthropic: {
        enabled: true,
        ready: false,
        models: {
          opus: { model: 'gpt-5.5', effort: 'high' },
          sonnet: { model: 'gpt-5.5', effort: 'medium' },
          haiku: { model: 'gpt-5.4-mini', effort: 'low' },
          fable: { model: 'gpt-5.5', effort: 'medium' },
          'claude-*': { model: 'gpt-5.5', effort: 'medium' },
        },
      },
      claude: { enabled: true, supported: false, ready: false, note: 'not supported by this version' },
    })
    expect(json.config).toMatchObject({ path: box.configPath, exists: false, warnings: [], errors: [] })
    expect(json.next_steps).toEqual(['airelays init', 'airelays login --device'])
  })

  it('reports an unreadable auth.json instead of failing', async () => {
    await mkdir(box.dataDir, { recursive: true })
    await writeFile(join(box.dataDir, 'auth.json'), '{not json', { mode: 0o600 })
    const { result, json } = await runJson<{ auth: { error: string | null; ready_for_requests: boolean } }>(
      ['status', '--json'],
      box.env(),
    )
    expect(result.code).toBe(0)
    expect(json.auth.ready_for_requests).toBe(false)
    expect(json.auth.error).toContain('auth.json')
  })
})

describe('doctor and logout without a login', () => {
  it('doctor fails (exit 1) on the token and the login and skips the upstream probes', async () => {
    const { result, json } = await runJson<{
      ok: boolean
      summary: Record<string, number>
      checks: { name: string; status: string; message: string }[]
      next_steps: string[]
    }>(['doctor', '--json'], box.env())
    expect(result.code).toBe(1)
    expect(json.ok).toBe(false)
    expect(json.checks.map((check) => [check.name, check.status])).toEqual([
      ['config', 'warn'],
      ['relay_token', 'fail'],
      ['openai_auth', 'fail'],
      ['openai_models', 'skip'],
      ['openai_response', 'skip'],
      ['anthropic', 'pass'],
      ['claude', 'skip'],
    ])
    expect(json.checks[0]?.message).toBe('Using built-in defaults; no config file exists.')
    expect(json.checks[1]?.message).toBe('Relay bearer auth is enabled, but no relay token is configured.')
    expect(json.checks[2]?.message).toBe(
      'OpenAI subscription login is missing, incomplete, or account-mismatched.',
    )
    expect(json.checks[5]?.message).toBe(
      'Claude model names map to: opus → gpt-5.5 (high), sonnet → gpt-5.5 (medium), haiku → gpt-5.4-mini (low), fable → gpt-5.5 (medium), claude-* → gpt-5.5 (medium).',
    )
    expect(json.checks[6]?.message).toBe('The Claude runtime is not supported by this version.')
    expect(json.summary).toEqual({ passed: 1, warnings: 1, failed: 2, skipped: 3 })
    expect(json.next_steps).toEqual(['airelays init', 'airelays token rotate', 'airelays login --device'])

    const human = await runCli(['doctor'], box.env())
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/^AIRelays \S+ Doctor\n/)
    expect(human.stdout).toContain('  relay_token:      FAIL  Relay bearer auth is enabled')
  })

  it('logout with nothing stored says so', async () => {
    const { result, json } = await runJson(['logout', '--json'], box.env())
    expect(result.code).toBe(0)
    expect(json).toEqual({
      deleted: false,
      signed_out: [],
      remaining: [],
      revoked: false,
      revoke_error: null,
    })
    const human = await runCli(['logout'], box.env())
    expect(human.stdout).toContain('  OpenAI session:   already empty')
  })
})

describe('hints name the command the user typed', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await createSandbox()
  })
  afterAll(async () => {
    await box.cleanup()
  })

  it('prints `npx airelays …` when run through npx, `airelays …` otherwise', async () => {
    const npx = {
      npm_lifecycle_event: 'npx',
      npm_command: 'exec',
      npm_config_user_agent: 'npm/11.19.1 node/v20',
    }
    const viaNpx = await runCli(['token', 'show', '--raw'], box.env(npx))
    expect(viaNpx.stderr).toContain('Run `npx airelays init` or set AIRELAYS_BEARER_TOKEN.')
    const status = await runCli(['status'], box.env(npx))
    expect(status.stdout).toMatch(/^ {2}1\. npx airelays init$/m)
    expect(status.stdout).toMatch(/^AIRelays \S+ Status$/m)
    const help = await runCli(['login', '--help'], box.env(npx))
    expect(help.stdout).toContain('$ npx airelays login')
    const plain = await runCli(['token', 'show', '--raw'], box.env())
    expect(plain.stderr).toContain('Run `airelays init` or set AIRELAYS_BEARER_TOKEN.')
  })
})

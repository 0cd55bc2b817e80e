import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createUpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { globalFlags, hasFlag, portFlag, stringFlag } from '../src/_internal/argv'
import { connectHost, isHeadless, loginHint, originFor } from '../src/_internal/client'
import { describeAuth, tokenClaims } from '../src/_internal/login-state'
import { colorEnabled, createStyle, formatField, Printer, showValue } from '../src/_internal/output'
import { formatRemaining, startWaitStatus, waitLine } from '../src/_internal/wait-status'
import { callbackPortFromEnv } from '../src/commands/login'
import * as api from '../src/index'
import { createSandbox, runCli, type Sandbox } from './_helpers'

describe('public API', () => {
  it('exports run, the error class and the version only', () => {
    expect(Object.keys(api).sort()).toEqual(['CliError', 'VERSION', 'isCliError', 'run'])
    const error = new api.CliError('nope', { code: 'usage' })
    expect(error.exitCode).toBe(2)
    expect(api.isCliError(error)).toBe(true)
    expect(api.isCliError(new Error('nope'))).toBe(false)
    expect(new api.CliError('stop', { code: 'cancelled' }).exitCode).toBe(130)
    expect(new api.CliError('bad').exitCode).toBe(1)
  })
})

describe('colour detection', () => {
  const tty = { isTTY: true }
  it('follows NO_COLOR, CLICOLOR=0, TERM=dumb, FORCE_COLOR and the TTY', () => {
    expect(colorEnabled(tty, {})).toBe(true)
    expect(colorEnabled({ isTTY: false }, {})).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true)
    expect(colorEnabled(tty, { CLICOLOR: '0' })).toBe(false)
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false)
    expect(colorEnabled({}, { FORCE_COLOR: '1' })).toBe(true)
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(false)
    expect(colorEnabled({}, { FORCE_COLOR: '1', NO_COLOR: 'x' })).toBe(false)
  })

  it('styles are plain text when off', () => {
    expect(createStyle(false).title('AIRelays')).toBe('AIRelays')
    expect(createStyle(true).red('x')).toBe('\u001b[31mx\u001b[39m')
  })
})

describe('human fields', () => {
  it('pad labels to 18 characters and print empty values as "not set"', () => {
    expect(formatField('Ready', 'yes')).toBe('  Ready:            yes')
    expect(formatField('Relay token', 'present')).toBe('  Relay token:      present')
    expect(formatField('A label this long', 'x')).toBe('  A label this long: x')
    expect(showValue(null)).toBe('not set')
    expect(showValue('')).toBe('not set')
    expect(showValue(false)).toBe('no')
    expect(showValue(0)).toBe('0')
  })

  it('format the time left as M:SS', () => {
    expect(formatRemaining(900)).toBe('15:00')
    expect(formatRemaining(61.2)).toBe('1:02')
    expect(formatRemaining(-3)).toBe('0:00')
    expect(waitLine('Waiting for approval', 75)).toBe(
      'Waiting for approval... (expires in 1:15, Ctrl-C to cancel)',
    )
  })
})

describe('waiting status line', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  function capture(): { printer: Printer; text: () => string } {
    let written = ''
    return {
      printer: new Printer({ write: (chunk: string) => (written += chunk) }, createStyle(false)),
      text: () => written,
    }
  }

  it('rewrites one line in place every second on a TTY and clears it at the end', () => {
    vi.useFakeTimers()
    let now = 0
    const { printer, text } = capture()
    const status = startWaitStatus(printer, {
      label: 'Waiting for approval',
      expiresAt: new Date(900_000),
      live: true,
      clock: () => now,
    })
    now = 1_000
    vi.advanceTimersByTime(1_000)
    status.stop()
    expect(text()).toBe(
      '\r\u001b[2KWaiting for approval... (expires in 15:00, Ctrl-C to cancel)' +
        '\r\u001b[2KWaiting for approval... (expires in 14:59, Ctrl-C to cancel)' +
        '\r\u001b[2K',
    )
    vi.advanceTimersByTime(5_000)
    expect(text().endsWith('\r\u001b[2K')).toBe(true)
  })

  it('prints a heartbeat line at most every 15 s otherwise', () => {
    vi.useFakeTimers()
    let now = 0
    const { printer, text } = capture()
    const status = startWaitStatus(printer, {
      label: 'Waiting for approval',
      expiresAt: new Date(60_000),
      live: false,
      clock: () => now,
    })
    now = 14_000
    vi.advanceTimersByTime(14_000)
    expect(text().split('\n').filter(Boolean)).toHaveLength(1)
    now = 15_000
    vi.advanceTimersByTime(1_000)
    status.stop()
    vi.advanceTimersByTime(60_000)
    expect(text()).toBe(
      'Waiting for approval... (expires in 1:00, Ctrl-C to cancel)\nWaiting for approval... (expires in 0:45, Ctrl-C to cancel)\n',
    )
  })
})

describe('headless detection', () => {
  it('SSH sessions and Linux without a display are headless', () => {
    expect(isHeadless({ SSH_CONNECTION: 'a b c d', DISPLAY: ':0' }, 'linux')).toBe(true)
    expect(isHeadless({ SSH_TTY: '/dev/pts/0' }, 'darwin')).toBe(true)
    expect(isHeadless({}, 'linux')).toBe(true)
    expect(isHeadless({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(false)
    expect(isHeadless({}, 'darwin')).toBe(false)
    expect(loginHint({}, 'linux')).toBe('airelays login --device')
    expect(loginHint({ DISPLAY: ':1' }, 'linux')).toBe('airelays login')
  })
})

// Which listen addresses count as loopback (the `serve` warning) is `isLoopbackHost` of
// @airelays/ratelimit, tested there with these and the IPv4-mapped forms.
describe('hosts', () => {
  it('map wildcard listen addresses to connectable ones', () => {
    expect(connectHost('0.0.0.0')).toBe('127.0.0.1')
    expect(connectHost('::')).toBe('::1')
    expect(originFor('::1', 8080)).toBe('http://[::1]:8080')
  })
})

describe('flag normalisation', () => {
  it('reads string flags from argv, so numbers keep their spelling', () => {
    const argv = ['status', '--data-dir', '007', '--workspace-id=1e3']
    expect(stringFlag(argv, 'data-dir', 7)).toBe('007')
    expect(stringFlag(argv, 'workspace-id', 1000)).toBe('1e3')
    expect(stringFlag(argv, 'config', undefined)).toBeUndefined()
    expect(stringFlag(['--config', 'a', '--config', 'b'], 'config', ['a', 'b'])).toBe('b')
    expect(stringFlag(['--', '--config', 'x'], 'config', undefined)).toBeUndefined()
    expect(hasFlag(['login', '--browser'], '--browser')).toBe(true)
    expect(hasFlag(['login', '--', '--browser'], '--browser')).toBe(false)
  })

  it('validates --port and --auth-storage as usage errors', () => {
    expect(portFlag(['--port', '9000'], 9000)).toBe(9000)
    expect(() => portFlag(['--port', '0'], 0)).toThrow(/--port/)
    expect(() => portFlag(['--port', '65536'], 65536)).toThrow(/--port/)
    expect(globalFlags(['--auth-storage', 'KEYRING'], { authStorage: 'KEYRING' })).toEqual({
      authStorage: 'KEYRING',
    })
    try {
      globalFlags(['--auth-storage', 'cloud'], { authStorage: 'cloud' })
      expect.unreachable()
    } catch (error) {
      expect(api.isCliError(error) && error.exitCode).toBe(2)
    }
  })

  it('validates AIRELAYS_LOGIN_CALLBACK_PORT', () => {
    expect(callbackPortFromEnv({})).toBeUndefined()
    expect(callbackPortFromEnv({ AIRELAYS_LOGIN_CALLBACK_PORT: '0' })).toBe(0)
    expect(callbackPortFromEnv({ AIRELAYS_LOGIN_CALLBACK_PORT: ' 1455 ' })).toBe(1455)
    expect(() => callbackPortFromEnv({ AIRELAYS_LOGIN_CALLBACK_PORT: '70000' })).toThrow(
      /AIRELAYS_LOGIN_CALLBACK_PORT/,
    )
  })
})

describe('stored login facts', () => {
  const jwt = (claims: Record<string, unknown>): string =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const idToken = jwt({
    email: 'me@example.com',
    'https://api.openai.com/auth': { chatgpt_plan_type: 'pro', chatgpt_account_id: 'acct_1' },
  })

  it('reads the display claims without verifying', () => {
    expect(tokenClaims(idToken)).toEqual({ email: 'me@example.com', plan: 'pro', accountId: 'acct_1' })
    expect(tokenClaims('not-a-jwt')).toEqual({ email: null, plan: null, accountId: null })
    expect(tokenClaims('a.%%%.c')).toEqual({ email: null, plan: null, accountId: null })
  })

  it('is ready only with tokens and a matching bound account', () => {
    const auth = {
      bound_account_id: 'acct_1',
      tokens: { id_token: idToken, access_token: 'at', refresh_token: 'rt', account_id: null },
      last_refresh: '2026-11-24T03:30:00.000Z',
    }
    expect(describeAuth(auth)).toMatchObject({
      authenticated: true,
      account_id: 'acct_1',
      ready_for_requests: true,
    })
    expect(describeAuth({ ...auth, bound_account_id: 'acct_2' }).ready_for_requests).toBe(false)
    expect(
      describeAuth({ ...auth, tokens: { ...auth.tokens, access_token: '', refresh_token: '' } }),
    ).toMatchObject({
      authenticated: false,
      ready_for_requests: false,
    })
    expect(describeAuth(null)).toMatchObject({ credentials_present: false, ready_for_requests: false })
  })
})

describe('start-up cost', () => {
  let box: Sandbox
  beforeEach(async () => {
    box = await createSandbox()
  })
  afterEach(async () => {
    await box.cleanup()
  })

  async function importsOf(args: string[]): Promise<string[]> {
    const log = join(box.dir, `imports-${args[0]}.txt`)
    const result = await runCli(args, box.env({ AIRELAYS_TEST_IMPORT_LOG: log }), {
      nodeArgs: ['--import', './test/fixtures/record-imports.mjs'],
    })
    expect(result.code).toBe(0)
    return (await readFile(log, 'utf8')).split('\n').filter(Boolean)
  }

  it('--version loads no package at all, not even the command parser', async () => {
    const urls = await importsOf(['--version'])
    expect(urls.filter((url) => url.includes('/node_modules/') || url.includes('/packages/'))).toEqual([])
    expect(urls.some((url) => url.includes('/apps/cli/dist/cli.js'))).toBe(true)
  })

  /** The source files (repository paths) bundled into the dist chunks among `urls`, from their source maps. */
  async function sourcesOf(urls: string[]): Promise<string[]> {
    const chunks = urls.filter((url) => url.includes('/apps/cli/dist/')).map((url) => new URL(url).pathname)
    const maps = await Promise.all(
      chunks.map(async (path) => JSON.parse(await readFile(`${path}.map`, 'utf8'))),
    )
    return maps.flatMap((map: { sources: string[] }) => map.sources.map((s) => s.replace(/^(\.\.\/)+/, '')))
  }

  it('status resolves no package and loads config and auth-store, never the server or the upstream client', async () => {
    const urls = await importsOf(['status', '--json'])
    // the workspace packages and cac are bundled into dist/: nothing but builtins outside apps/cli
    expect(urls.filter((url) => !url.startsWith('node:') && !url.includes('/apps/cli/'))).toEqual([])
    const sources = await sourcesOf(urls)
    expect(sources.some((s) => s.startsWith('packages/config/src/'))).toBe(true)
    expect(sources.some((s) => s.startsWith('packages/auth-store/src/'))).toBe(true)
    for (const heavy of ['apps/server/', 'packages/upstream-client/', 'packages/translate/'])
      expect(sources.filter((s) => s.startsWith(heavy))).toEqual([])
  })

  it('status with a login reads usage and catalog through the reader entry, without node:v8', async () => {
    const emu = await createUpstreamEmulator()
    try {
      const online = await createSandbox(emu)
      await mkdir(online.dataDir, { recursive: true })
      await writeFile(join(online.dataDir, 'auth.json'), JSON.stringify(emu.storedAuth()), { mode: 0o600 })
      const log = join(online.dir, 'imports-online.txt')
      const result = await runCli(['status', '--json'], online.env({ AIRELAYS_TEST_IMPORT_LOG: log }), {
        nodeArgs: ['--import', './test/fixtures/record-imports.mjs'],
      })
      expect(result.code).toBe(0)
      const payload = JSON.parse(result.stdout) as { usage: unknown; catalog: unknown }
      expect(payload.usage).not.toBeNull()
      expect(payload.catalog).not.toBeNull()
      const urls = (await readFile(log, 'utf8')).split('\n').filter(Boolean)
      // v8 is for undici behind a proxy only
      expect(urls.filter((url) => url === 'node:v8')).toEqual([])
      const sources = await sourcesOf(urls)
      expect(sources).toContain('packages/upstream-client/src/reader.ts')
      // neither barrel: they would load the Responses code and the translators
      for (const heavy of [
        'packages/upstream-client/src/index.ts',
        'packages/upstream-client/src/_internal/client/responses.ts',
        'packages/translate/src/index.ts',
        'apps/server/',
      ])
        expect(sources.filter((s) => s.startsWith(heavy))).toEqual([])
      await online.cleanup()
    } finally {
      await emu.close()
    }
  })
})

describe('how airelays was started', () => {
  it('reads npx, npm exec, pnpm exec/dlx, a package script and a plain bin from the environment', async () => {
    const { invokedAs, withCommandPrefix } = await import('../src/_internal/invocation')
    const npm = 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false'
    const pnpm = 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64'
    expect(invokedAs({ npm_lifecycle_event: 'npx', npm_command: 'exec', npm_config_user_agent: npm })).toBe(
      'npx airelays',
    )
    expect(invokedAs({ npm_command: 'exec', npm_config_user_agent: pnpm })).toBe('pnpm exec airelays')
    expect(invokedAs({ npm_command: 'dlx', npm_config_user_agent: pnpm })).toBe('pnpm dlx airelays')
    expect(
      invokedAs({ npm_lifecycle_event: 'airelays', npm_command: 'run-script', npm_config_user_agent: pnpm }),
    ).toBe('pnpm airelays')
    expect(
      invokedAs({ npm_lifecycle_event: 'airelays', npm_command: 'run', npm_config_user_agent: npm }),
    ).toBe('npm run airelays --')
    expect(invokedAs({})).toBe('airelays')
    expect(withCommandPrefix('Run `airelays login` then airelays serve --port 1.', 'npx airelays')).toBe(
      'Run `npx airelays login` then npx airelays serve --port 1.',
    )
    // Titles and versions are not commands.
    expect(withCommandPrefix('airelays 1.0.0', 'npx airelays')).toBe('airelays 1.0.0')
    expect(withCommandPrefix('AIRelays 1.0.0 Status', 'npx airelays')).toBe('AIRelays 1.0.0 Status')
  })
})

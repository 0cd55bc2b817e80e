import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { bindOnce, CliProcess, createSandbox, freePort, killAll, runCli, type Sandbox } from './_helpers'

let emu: UpstreamEmulator
let box: Sandbox

beforeAll(async () => {
  emu = await createUpstreamEmulator({ deviceInterval: 0.2, deviceAutoApproveAfterPolls: 1 })
})
afterAll(async () => {
  await emu.close()
})
beforeEach(async () => {
  emu.reset()
  box = await createSandbox(emu)
})
afterEach(async () => {
  await killAll()
  await box.cleanup()
})

const AUTHORIZE_URL = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m

/** Plays the browser: follow the authorize URL on the emulator, then open the callback it redirects to. */
async function playBrowser(authorizeUrl: string): Promise<Response> {
  const authorize = await fetch(authorizeUrl, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
  expect(authorize.status).toBe(302)
  const location = authorize.headers.get('location') as string
  expect(location).toMatch(/^http:\/\/localhost:\d+\/auth\/callback\?code=/)
  return fetch(location, { signal: AbortSignal.timeout(10_000) })
}

describe('browser login', () => {
  it('prints the URL, completes through the callback and stores the credentials', async () => {
    const port = await freePort()
    const login = new CliProcess(
      ['login', '--browser'],
      box.env({ AIRELAYS_LOGIN_CALLBACK_PORT: String(port) }),
    )
    const [, url] = await login.waitFor(AUTHORIZE_URL)
    const authorize = new URL(url as string)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/auth/callback`)
    expect(authorize.searchParams.get('scope')).toBe('openid profile email offline_access')
    expect(url).toContain('scope=openid%20profile%20email%20offline_access')
    await login.waitFor(/user@this-server\n/)
    expect(login.stdout).toMatch(/^AIRelays \S+ Login\n/)
    expect(login.stdout).toContain('Open this URL in a browser ON THIS MACHINE')
    expect(login.stdout).toContain(`ssh -L ${port}:localhost:${port} user@this-server`)

    const callback = await playBrowser(url as string)
    expect(callback.status).toBe(200)
    expect(await callback.text()).toContain('Login completed')

    const exit = await login.exited
    expect(exit.code, exit.stderr).toBe(0)
    expect(exit.stdout).toContain('  Email:            dev@example.com\n')
    expect(exit.stdout).toContain('  Relay token:      missing\n')
    expect(exit.stdout).toContain('Next Steps\n  1. airelays init\n')
    const stored = JSON.parse(await readFile(join(box.dataDir, 'auth.json'), 'utf8')) as {
      bound_account_id: string
    }
    expect(stored.bound_account_id).toBe('acct_emulator')
    expect((await stat(join(box.dataDir, 'auth.json'))).mode & 0o777).toBe(0o600)
    // The callback port is free again.
    await bindOnce(port)
  })

  it('Ctrl-C cancels the login with exit code 130 and releases the callback port', async () => {
    const port = await freePort()
    const login = new CliProcess(
      ['login', '--browser'],
      box.env({ AIRELAYS_LOGIN_CALLBACK_PORT: String(port) }),
    )
    await login.waitFor(AUTHORIZE_URL)
    await login.waitFor(/Waiting for the browser sign-in\.\.\. \(expires in 1[45]:\d\d, Ctrl-C to cancel\)/, {
      stream: 'stderr',
    })
    await expect(bindOnce(port)).rejects.toMatchObject({ code: 'EADDRINUSE' })
    login.kill('SIGINT')
    const exit = await login.exited
    expect(exit.code).toBe(130)
    expect(exit.stderr).toContain('Error: Login cancelled.\n')
    await bindOnce(port)
    await expect(stat(join(box.dataDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('--workspace-id restricts the login and a foreign account is refused', async () => {
    const port = await freePort()
    const login = new CliProcess(
      ['login', '--browser', '--workspace-id', '0123'],
      box.env({ AIRELAYS_LOGIN_CALLBACK_PORT: String(port) }),
    )
    const [, url] = await login.waitFor(AUTHORIZE_URL)
    expect(new URL(url as string).searchParams.get('allowed_workspace_id')).toBe('0123')
    await playBrowser(url as string)
    const exit = await login.exited
    expect(exit.code).toBe(1)
    expect(exit.stderr.endsWith('\nError: Login is restricted to workspace id 0123.\n')).toBe(true)
    await expect(stat(join(box.dataDir, 'auth.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a bad AIRELAYS_LOGIN_CALLBACK_PORT is a one-line error', async () => {
    const result = await runCli(['login', '--browser'], box.env({ AIRELAYS_LOGIN_CALLBACK_PORT: 'http' }))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^Error: Invalid AIRELAYS_LOGIN_CALLBACK_PORT value 'http'/)
  })
})

describe('flow choice', () => {
  it('an SSH session uses the device flow and says how to force the browser', async () => {
    const result = await runCli(
      ['login'],
      box.env({ SSH_CONNECTION: '10.0.0.2 50000 10.0.0.1 22', DISPLAY: ':0' }),
    )
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(
      /^No local browser detected \(SSH session or no display\)\.\nUsing device-code login\. Force the browser flow with: airelays login --browser\n/,
    )
    expect(result.stdout).toContain('Device Login')
    expect(result.stdout).toContain('  Email:            dev@example.com\n')
  })

  it('Linux without a display counts as headless too', async () => {
    const result = await runCli(['login'], box.env())
    expect(result.stdout).toContain('No local browser detected (SSH session or no display).')
    expect(result.code).toBe(0)
  })

  it('a desktop session uses the browser flow; --browser forces it over SSH', async () => {
    for (const extra of [{ DISPLAY: ':0' }, { SSH_TTY: '/dev/pts/1', DISPLAY: ':0' }]) {
      const port = await freePort()
      const args = 'SSH_TTY' in extra ? ['login', '--browser', '--no-browser'] : ['login']
      const login = new CliProcess(args, box.env({ ...extra, AIRELAYS_LOGIN_CALLBACK_PORT: String(port) }))
      await login.waitFor(AUTHORIZE_URL)
      expect(login.stdout).not.toContain('No local browser detected')
      login.kill('SIGINT')
      expect((await login.exited).code).toBe(130)
    }
  })

  it('the device flow stops on Ctrl-C with exit code 130', async () => {
    const slow = await createUpstreamEmulator({ deviceInterval: 0.2, deviceAutoApproveAfterPolls: null })
    const local = await createSandbox(slow)
    try {
      const login = new CliProcess(['login', '--device'], local.env())
      await login.waitFor(/Enter this code/)
      login.kill('SIGINT')
      const exit = await login.exited
      expect(exit.code).toBe(130)
      expect(exit.stderr).toContain('Error: Login cancelled.')
    } finally {
      await slow.close()
      await local.cleanup()
    }
  })

  it('a device-login failure upstream is a one-line error (exit 1)', async () => {
    emu.script({ kind: 'http_error', status: 500, route: 'device_token' })
    const result = await runCli(['login', '--device'], box.env())
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /\nError: Device-code login failed upstream \(status 500\)\. Request a fresh code with `airelays login --device`\.\n$/,
    )
  })
})

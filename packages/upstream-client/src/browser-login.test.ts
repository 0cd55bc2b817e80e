import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NO_ENV_PROXY, rejectionOf } from './_test-helpers'
import { type BrowserLogin, startBrowserLogin } from './browser-login'
import { createUpstreamClient } from './client'
import { isUpstreamError } from './errors'
import { createMemoryCredentialStore } from './memory-store'

const INVALID_STATE = 'Login did not complete or returned an invalid state value.'

let emu: UpstreamEmulator
const logins: BrowserLogin[] = []
const servers: Server[] = []

beforeEach(async () => {
  emu = await createUpstreamEmulator()
})

afterEach(async () => {
  await Promise.all(logins.splice(0).map((login) => login.cancel()))
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  await emu.close()
})

async function start(extra: Parameters<typeof startBrowserLogin>[0] = {}): Promise<BrowserLogin> {
  const login = await startBrowserLogin({
    issuerUrl: emu.url,
    clientId: emu.clientId,
    port: 0,
    fallbackPort: null,
    proxy: NO_ENV_PROXY,
    ...extra,
  })
  logins.push(login)
  return login
}

/** Play the browser: authorize at the emulator, return the redirect target. */
async function authorize(login: BrowserLogin): Promise<string> {
  const res = await request(login.authorizeUrl)
  await res.body.dump()
  expect(res.statusCode).toBe(302)
  return String(res.headers.location)
}

async function get(url: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const res = await request(url)
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

async function occupyPort(): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    res.writeHead(404, { connection: 'close' }).end()
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return { port: address.port, paths }
}

const tokenRequests = (): number => emu.requests.filter((r) => r.route === 'token').length

describe('startBrowserLogin', () => {
  it('logs in end to end: authorize, callback, code exchange, success page without tokens', async () => {
    const clockNow = Date.UTC(2026, 10, 24, 3, 30, 0)
    const login = await start({ clock: () => clockNow })
    expect(login.redirectUri).toBe(`http://localhost:${login.port}/auth/callback`)
    const authorizeUrl = new URL(login.authorizeUrl)
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${emu.url}/oauth/authorize`)
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(login.redirectUri)
    expect(authorizeUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const location = await authorize(login)
    expect(location.startsWith(login.redirectUri)).toBe(true)
    const page = await get(location)
    expect(page.status).toBe(200)
    expect(page.headers.connection).toBe('close')
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.text).toContain('Login completed')
    expect(page.text).toContain('You can return to the terminal.')

    const auth = await login.waitForCompletion()
    expect(auth.bound_account_id).toBe('acct_emulator')
    expect(auth.tokens.account_id).toBe('acct_emulator')
    expect(auth.last_refresh).toBe('2026-11-24T03:30:00.000Z')
    for (const token of [auth.tokens.id_token, auth.tokens.access_token, auth.tokens.refresh_token]) {
      expect(token.length).toBeGreaterThan(10)
      expect(page.text).not.toContain(token)
    }
    const exchange = emu.requests.find((r) => r.route === 'token')
    const form = new URLSearchParams(String(exchange?.body))
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('redirect_uri')).toBe(login.redirectUri)
    expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await portIsClosed(login.port)).toBe(true)

    // The tokens work against the backend.
    const client = createUpstreamClient({
      baseUrl: emu.backendUrl,
      issuerUrl: emu.url,
      credentials: createMemoryCredentialStore(auth),
      proxy: NO_ENV_PROXY,
    })
    try {
      expect((await client.models()).length).toBeGreaterThan(0)
    } finally {
      await client.close()
    }
  })

  it.each([
    ['a wrong state', (q: URLSearchParams) => q.set('state', 'forged')],
    ['a missing state', (q: URLSearchParams) => q.delete('state')],
  ])('rejects %s without any token exchange', async (_name, tamper) => {
    const login = await start()
    const location = new URL(await authorize(login))
    tamper(location.searchParams)
    const page = await get(location.toString())
    expect(page.status).toBe(400)
    expect(page.headers.connection).toBe('close')
    expect(page.text).toContain(INVALID_STATE)
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('login_state_mismatch')
    expect((error as Error).message).toBe(INVALID_STATE)
    expect(tokenRequests()).toBe(0)
    expect(await portIsClosed(login.port)).toBe(true)
  })

  it('rejects a callback without a code with the invalid-state message', async () => {
    const login = await start()
    const location = new URL(await authorize(login))
    location.searchParams.delete('code')
    expect((await get(location.toString())).status).toBe(400)
    const error = await rejectionOf(login.waitForCompletion())
    expect((error as Error).message).toBe(INVALID_STATE)
    expect(tokenRequests()).toBe(0)
  })

  it('reports error= from the issuer as "Login failed: …" without exchanging', async () => {
    emu.script({ route: 'authorize', kind: 'authorize_error', error: 'access_denied', description: 'nope' })
    const login = await start()
    const page = await get(await authorize(login))
    expect(page.status).toBe(400)
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('login_failed')
    expect((error as Error).message).toBe('Login failed: access_denied (nope)')
    expect(tokenRequests()).toBe(0)
  })

  it('answers 404 to other paths and keeps waiting', async () => {
    const login = await start()
    const page = await get(`http://127.0.0.1:${login.port}/favicon.ico`)
    expect(page.status).toBe(404)
    expect(page.text).toBe('Not Found')
    const location = await authorize(login)
    expect((await get(location)).status).toBe(200)
    await expect(login.waitForCompletion()).resolves.toMatchObject({ bound_account_id: 'acct_emulator' })
  })

  it('stops on GET /cancel and closes the server', async () => {
    const login = await start()
    const page = await get(`http://127.0.0.1:${login.port}/cancel`)
    expect(page.status).toBe(200)
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('login_cancelled')
    expect(await portIsClosed(login.port)).toBe(true)
  })

  it('cancel() rejects the wait and closes the server', async () => {
    const login = await start()
    const waiting = rejectionOf(login.waitForCompletion())
    await login.cancel()
    expect(isUpstreamError(await waiting) && ((await waiting) as { code: string }).code).toBe(
      'login_cancelled',
    )
    expect(await portIsClosed(login.port)).toBe(true)
  })

  it('times out after loginTimeoutSeconds and closes the server', async () => {
    const login = await start({ loginTimeoutSeconds: 0.2 })
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('login_timeout')
    expect((error as Error).message).toContain('did not complete within 1 minute(s)')
    expect(await portIsClosed(login.port)).toBe(true)
  })

  it('enforces the workspace restriction after the exchange', async () => {
    const login = await start({ workspaceId: 'ws_other' })
    expect(new URL(login.authorizeUrl).searchParams.get('allowed_workspace_id')).toBe('ws_other')
    const page = await get(await authorize(login))
    expect(page.status).toBe(400)
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('login_workspace_mismatch')
    expect((error as Error).message).toBe('Login is restricted to workspace id ws_other.')
  })

  it('accepts a login whose account is in the allowed workspace list', async () => {
    const login = await start({ workspaceId: 'ws_a, acct_emulator' })
    await get(await authorize(login))
    await expect(login.waitForCompletion()).resolves.toMatchObject({ bound_account_id: 'acct_emulator' })
  })

  it('surfaces a failed code exchange with the status and body, and closes the server', async () => {
    emu.script({
      route: 'token',
      kind: 'http_error',
      status: 403,
      body: { error: { code: 'unsupported_country_region_territory' } },
    })
    const login = await start()
    const page = await get(await authorize(login))
    expect(page.status).toBe(400)
    const error = await rejectionOf(login.waitForCompletion())
    expect(isUpstreamError(error) && error.code).toBe('code_exchange_failed')
    expect((error as Error).message).toMatch(
      /^Code exchange failed: 403 .*unsupported_country_region_territory/,
    )
    expect(await portIsClosed(login.port)).toBe(true)
  })

  it('asks a busy port to /cancel, then falls back to the second port', async () => {
    const busy = await occupyPort()
    const login = await start({ port: busy.port, fallbackPort: 0 })
    expect(busy.paths).toEqual(['/cancel'])
    expect(login.port).not.toBe(busy.port)
    expect(login.redirectUri).toBe(`http://localhost:${login.port}/auth/callback`)
    await get(await authorize(login))
    await expect(login.waitForCompletion()).resolves.toMatchObject({ bound_account_id: 'acct_emulator' })
  })

  it('fails with the --device hint when neither port can be bound', async () => {
    const first = await occupyPort()
    const second = await occupyPort()
    const error = await rejectionOf(
      startBrowserLogin({ issuerUrl: emu.url, port: first.port, fallbackPort: second.port }),
    )
    expect(isUpstreamError(error) && error.code).toBe('login_port_unavailable')
    expect((error as Error).message).toBe(
      `AIRelays could not bind localhost:${first.port} for browser login. Another login flow may already be using that port. Retry later or use \`airelays login --device\`.`,
    )
  })

  it('listens on loopback only', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)
    const login = await start()
    if (!external) {
      console.warn('no non-loopback IPv4 interface on this machine; checking 127.0.0.1 only')
    } else {
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = connect({ port: login.port, host: external.address })
        socket.once('connect', () => {
          socket.destroy()
          resolve(true)
        })
        socket.once('error', () => resolve(false))
      })
      expect(reachable).toBe(false)
    }
    expect(await portIsClosed(login.port)).toBe(false)
  })
})

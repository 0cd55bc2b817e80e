// B11 group O — OAuth browser (PKCE) and device-code logins against the emulated issuer.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { isUpstreamError, startBrowserLogin, startDeviceLogin } from '@airelays/upstream-client'
import { createUpstreamEmulator, type UpstreamEmulator } from '@airelays/upstream-emulator'
import { afterEach, describe, expect, it } from 'vitest'

let emu: UpstreamEmulator | null = null
afterEach(async () => {
  await emu?.close()
  emu = null
})

async function emulator(
  options: Parameters<typeof createUpstreamEmulator>[0] = {},
): Promise<UpstreamEmulator> {
  emu = await createUpstreamEmulator(options)
  return emu
}

const loopback = (url: string): string => url.replace('//localhost:', '//127.0.0.1:')

/** Follow the authorize redirect like a browser would, without visiting the callback. */
async function authorize(authorizeUrl: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return new URL(loopback(res.headers.get('location') as string))
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.setTimeout(1000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function tokenExchanges(e: UpstreamEmulator): Record<string, string>[] {
  return e.requests
    .filter((r) => r.route === 'token')
    .map((r) => Object.fromEntries(new URLSearchParams(String(r.body))))
    .filter((body) => body.grant_type === 'authorization_code')
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (error) {
    if (isUpstreamError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a rejection')
}

describe('O — OAuth and device login', () => {
  it('O1 PKCE: 43-character verifier from 32 random bytes, S256 challenge, unique per attempt', async () => {
    const e = await emulator()
    const verifiers = new Set<string>()
    const states = new Set<string>()
    for (let attempt = 0; attempt < 3; attempt++) {
      const login = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
      const params = new URL(login.authorizeUrl).searchParams
      expect(params.get('code_challenge_method')).toBe('S256')
      const state = params.get('state') as string
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const callback = await authorize(login.authorizeUrl)
      const page = await fetch(callback)
      expect(page.status).toBe(200)
      await page.text()
      const auth = await login.waitForCompletion()
      expect(auth.tokens.access_token).toBeTruthy()
      const exchange = tokenExchanges(e).at(-1) as Record<string, string>
      const verifier = exchange.code_verifier as string
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(verifier, 'base64url')).toHaveLength(32)
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'))
      verifiers.add(verifier)
      states.add(state)
    }
    expect(verifiers.size).toBe(3)
    expect(states.size).toBe(3)
  })

  it.each([
    ['a wrong state', (u: URL) => u.searchParams.set('state', 'forged-state-value'), 'login_state_mismatch'],
    ['no state', (u: URL) => u.searchParams.delete('state'), 'login_state_mismatch'],
    ['no code', (u: URL) => u.searchParams.delete('code'), 'login_state_mismatch'],
    [
      'error=access_denied',
      (u: URL) => {
        u.searchParams.delete('code')
        u.searchParams.set('error', 'access_denied')
      },
      'login_failed',
    ],
    [
      'error= and a wrong state',
      (u: URL) => {
        u.searchParams.set('error', 'access_denied')
        u.searchParams.set('state', 'x')
      },
      'login_state_mismatch',
    ],
  ] as const)(
    'O2 callback with %s fails with the spec message and makes no token exchange',
    async (_name, tamper, expected) => {
      const e = await emulator()
      const login = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
      const callback = await authorize(login.authorizeUrl)
      tamper(callback)
      const page = await fetch(callback)
      expect(page.status).toBe(400)
      const html = await page.text()
      const failure = await rejection(login.waitForCompletion())
      expect(failure.code).toBe(expected)
      if (expected === 'login_state_mismatch')
        expect(failure.message).toBe('Login did not complete or returned an invalid state value.')
      else expect(failure.message).toMatch(/^Login failed: access_denied/)
      expect(html).toContain(failure.message.replace(/`/g, '&#96;').split(' (')[0] as string)
      expect(tokenExchanges(e)).toHaveLength(0)
      expect(await canConnect('127.0.0.1', login.port)).toBe(false)
    },
  )

  it('O2 an issuer redirect with error= ends the login without a token exchange', async () => {
    const e = await emulator({ authorizeError: 'access_denied' })
    const login = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
    const callback = await authorize(login.authorizeUrl)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    await (await fetch(callback)).text()
    const failure = await rejection(login.waitForCompletion())
    expect(failure.code).toBe('login_failed')
    expect(tokenExchanges(e)).toHaveLength(0)
  })

  describe('O3 callback listener', () => {
    it('O3 listens on loopback only, 404 elsewhere, closed once the callback arrived', async () => {
      const e = await emulator()
      const login = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
      expect(await canConnect('127.0.0.1', login.port)).toBe(true)
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && !i.internal)
        .map((i) => (i as { address: string }).address)
      if (external.length === 0)
        console.warn('O3: no non-loopback interface on this machine; LAN check skipped')
      for (const address of external) expect(await canConnect(address, login.port), address).toBe(false)
      for (const path of ['/', '/favicon.ico', '/auth/callbackx', '/success', '/auth']) {
        const res = await fetch(`http://127.0.0.1:${login.port}${path}`)
        expect(res.status, path).toBe(404)
        await res.text()
      }
      const callback = await authorize(login.authorizeUrl)
      await (await fetch(callback)).text()
      await login.waitForCompletion()
      expect(await canConnect('127.0.0.1', login.port)).toBe(false)
      expect(await canConnect('::1', login.port)).toBe(false)
    })

    it('O3 closed when the login times out', async () => {
      const e = await emulator()
      const login = await startBrowserLogin({
        issuerUrl: e.url,
        port: 0,
        fallbackPort: null,
        loginTimeoutSeconds: 0.3,
      })
      const failure = await rejection(login.waitForCompletion())
      expect(failure.code).toBe('login_timeout')
      expect(await canConnect('127.0.0.1', login.port)).toBe(false)
    })

    it('O3 a port in use gives the spec message', async () => {
      const e = await emulator()
      const squatter = createServer((_req, res) => {
        res.writeHead(404).end()
      })
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve))
      const { port } = squatter.address() as AddressInfo
      try {
        const failure = await rejection(startBrowserLogin({ issuerUrl: e.url, port, fallbackPort: null }))
        expect(failure.code).toBe('login_port_unavailable')
        expect(failure.message).toBe(
          `AIRelays could not bind localhost:${port} for browser login. Another login flow may already be using that port. Retry later or use \`airelays login --device\`.`,
        )
      } finally {
        await new Promise<void>((resolve) => squatter.close(() => resolve()))
      }
    })
  })

  it('O4 tokens never appear in URLs, pages or error messages', async () => {
    const e = await emulator()
    const login = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
    const callback = await authorize(login.authorizeUrl)
    const page = await fetch(callback)
    const pageText = `${[...page.headers].join('\n')}\n${await page.text()}`
    const auth = await login.waitForCompletion()
    const tokens = [auth.tokens.access_token, auth.tokens.refresh_token, auth.tokens.id_token]
    for (const token of tokens) {
      expect(token.length).toBeGreaterThan(10)
      expect(login.authorizeUrl).not.toContain(token)
      expect(callback.href).not.toContain(token)
      expect(pageText).not.toContain(token)
    }
    // A failing exchange whose body quotes a token: the error and the page do not repeat it.
    const leaked = e.issueTokens()
    e.script({
      kind: 'http_error',
      route: 'token',
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: `bad ${leaked.access_token} ${leaked.refresh_token} ${leaked.id_token}`,
      },
    })
    const second = await startBrowserLogin({ issuerUrl: e.url, port: 0, fallbackPort: null })
    const errorPage = await fetch(await authorize(second.authorizeUrl))
    const errorText = await errorPage.text()
    const failure = await rejection(second.waitForCompletion())
    expect(failure.code).toBe('code_exchange_failed')
    for (const token of [leaked.access_token, leaked.id_token]) {
      expect(failure.message).not.toContain(token)
      expect(errorText).not.toContain(token)
    }
  })

  describe('O5/O6 device-code polling', () => {
    it('O5 polls never closer than the interval (real time)', async () => {
      const e = await emulator({ deviceInterval: '0.3', deviceAutoApproveAfterPolls: 3 })
      const login = await startDeviceLogin({ issuerUrl: e.url })
      expect(login.intervalSeconds).toBe(0.3)
      const auth = await login.waitForCompletion()
      expect(auth.tokens.access_token).toBeTruthy()
      const polls = e.requests.filter((r) => r.route === 'device_token')
      expect(polls.length).toBe(4)
      const started = (e.requests.find((r) => r.route === 'device_usercode') as { completedAt?: number })
        .completedAt as number
      expect((polls[0] as { receivedAt: number }).receivedAt - started).toBeGreaterThanOrEqual(300)
      for (let i = 1; i < polls.length; i++) {
        expect(
          (polls[i] as { receivedAt: number }).receivedAt -
            (polls[i - 1] as { receivedAt: number }).receivedAt,
        ).toBeGreaterThanOrEqual(300)
      }
    })

    /** A sleep that advances a fake clock instantly and records every wait. */
    function fakeTime() {
      let now = Date.now()
      const waits: number[] = []
      return {
        waits,
        clock: () => now,
        sleep: async (ms: number) => {
          waits.push(ms)
          now += ms
        },
      }
    }

    it.each(['0', 0])('O5 interval %j means the 5 s default', async (interval) => {
      const e = await emulator({ deviceInterval: interval, deviceAutoApproveAfterPolls: 2 })
      const time = fakeTime()
      const login = await startDeviceLogin({ issuerUrl: e.url, clock: time.clock, sleep: time.sleep })
      expect(login.intervalSeconds).toBe(5)
      await login.waitForCompletion()
      expect(time.waits).toEqual([5000, 5000, 5000])
    })

    it('O5 a missing interval means the 5 s default', async () => {
      const e = await emulator({ deviceAutoApproveAfterPolls: 1 })
      e.script({
        route: 'device_usercode',
        kind: 'http_error',
        status: 200,
        body: { device_auth_id: 'deviceauth_b11', user_code: 'B11B-0005' },
      })
      const time = fakeTime()
      const login = await startDeviceLogin({ issuerUrl: e.url, clock: time.clock, sleep: time.sleep })
      expect(login.intervalSeconds).toBe(5)
      await login.cancel()
    })

    it('O5 stops at the deadline with the spec message, never polling faster than the interval', async () => {
      const e = await emulator({ deviceInterval: '5', deviceAutoApproveAfterPolls: null })
      const time = fakeTime()
      const login = await startDeviceLogin({
        issuerUrl: e.url,
        clock: time.clock,
        sleep: time.sleep,
        loginTimeoutSeconds: 62,
      })
      const failure = await rejection(login.waitForCompletion())
      expect(failure.code).toBe('device_login_timeout')
      expect(failure.message).toBe(
        'Device-code login was not approved within 1 minute(s). The code may have expired or the request was denied; run `airelays login --device` to get a fresh code.',
      )
      const polls = e.requests.filter((r) => r.route === 'device_token').length
      expect(polls).toBe(12)
      // Every wait before a poll is a full interval.
      expect(time.waits.slice(0, polls).every((ms) => ms >= 5000)).toBe(true)
    })

    it('O5 a non-pending status >= 400 is terminal', async () => {
      const e = await emulator({ deviceInterval: 0.05, deviceAutoApproveAfterPolls: null })
      e.script(
        { kind: 'http_error', route: 'device_token', status: 403 },
        { kind: 'http_error', route: 'device_token', status: 500 },
      )
      const login = await startDeviceLogin({ issuerUrl: e.url })
      const failure = await rejection(login.waitForCompletion())
      expect(failure.code).toBe('device_login_failed')
      expect(failure.message).toBe(
        'Device-code login failed upstream (status 500). Request a fresh code with `airelays login --device`.',
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(e.requests.filter((r) => r.route === 'device_token')).toHaveLength(2)
    })

    it('O6 slow_down (429) grows the interval by 5 s for good', async () => {
      const e = await emulator({ deviceInterval: '1', deviceAutoApproveAfterPolls: 4 })
      e.script({ kind: 'http_error', route: 'device_token', status: 429 })
      const time = fakeTime()
      const login = await startDeviceLogin({ issuerUrl: e.url, clock: time.clock, sleep: time.sleep })
      await login.waitForCompletion()
      expect(time.waits[0]).toBe(1000)
      expect(time.waits.slice(1)).toEqual(new Array(time.waits.length - 1).fill(6000))
      expect(time.waits.length).toBeGreaterThanOrEqual(3)
    })
  })
})
